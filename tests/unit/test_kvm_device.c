/*
 * The hint kvmelf gives when the KVM device cannot be opened, for each
 * kind of host: a 'kvm' group the user is not in, one the user is in but
 * that may not open the device, a device outside a 'kvm' group that
 * exists, and a host with no 'kvm' group at all (where "add yourself to
 * the 'kvm' group" used to be the only advice).  vm_device_hint() is pure;
 * vm_device_facts() is checked on a file made for the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vcpu/vcpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *hint(const struct device_facts *f)
{
    static char buf[512];
    return vm_device_hint(f, buf, sizeof buf);
}

static void test_group_to_join(void **state)
{
    struct device_facts f = { .path = "/dev/kvm", .exists = true,
                              .mode = S_IFCHR | 0660, .gid = 108,
                              .group = "kvm", .kvm_group_exists = true };
    (void)state;
    assert_string_equal(hint(&f), "it is mode 0660, group 'kvm': add "
                        "yourself to that group (usermod -aG kvm $USER, then "
                        "log in again), or run as root");
}

static void test_group_without_access(void **state)
{
    struct device_facts f = { .path = "/dev/kvm", .exists = true,
                              .mode = S_IFCHR | 0600, .gid = 108,
                              .group = "kvm", .user_in_group = true,
                              .kvm_group_exists = true };
    (void)state;
    assert_non_null(strstr(hint(&f), "group 'kvm', which you are in but "
                           "which may not open it read-write: as root, chmod "
                           "0660 /dev/kvm"));
}

static void test_not_the_kvm_group(void **state)
{
    struct device_facts f = { .path = "/dev/kvm", .exists = true,
                              .mode = S_IFCHR | 0600, .gid = 0,
                              .group = "root", .kvm_group_exists = true };
    (void)state;
    assert_non_null(strstr(hint(&f), "group 'root', not the 'kvm' group "
                           "this host has: as root, chgrp kvm /dev/kvm && "
                           "chmod 0660 /dev/kvm"));
}

static void test_no_kvm_group(void **state)
{
    struct device_facts f = { .path = "/dev/kvm", .exists = true,
                              .mode = S_IFCHR | 0600, .gid = 0,
                              .group = "root" };
    (void)state;
    const char *h = hint(&f);
    assert_non_null(strstr(h, "this host has no 'kvm' group: run as root, "
                           "or as root create the group and give it the "
                           "device (groupadd kvm && chgrp kvm /dev/kvm && "
                           "chmod 0660 /dev/kvm && usermod -aG kvm $USER)"));
    assert_null(strstr(h, "add yourself"));
}

/* The facts of a real file: its mode and its group's name. */
static void test_facts_of_a_file(void **state)
{
    char path[] = "/tmp/kvmelf-device-XXXXXX";
    struct device_facts f;
    (void)state;

    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(chmod(path, 0640), 0);
    vm_device_facts(path, &f);
    assert_true(f.exists);
    assert_int_equal(f.mode & 07777, 0640);
    assert_int_equal(f.gid, getegid());
    assert_true(f.user_in_group);
    unlink(path);
    vm_device_facts(path, &f);
    assert_false(f.exists);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_to_join),
        cmocka_unit_test(test_group_without_access),
        cmocka_unit_test(test_not_the_kvm_group),
        cmocka_unit_test(test_no_kvm_group),
        cmocka_unit_test(test_facts_of_a_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
