/* What to tell a user whose KVM device cannot be opened or is not one:
 * facts about the device and the user, then a hint that fits them. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GROUP_FILE "/etc/group"
#define KVM_GROUP  "kvm"
/* Read and write for the group: what opening /dev/kvm O_RDWR takes. */
#define GROUP_RW   (S_IRGRP | S_IWGRP)

/* The name of gid in /etc/group ("" when it has none there). */
static void group_name(gid_t gid, char *name, size_t len)
{
    FILE *f = fopen(GROUP_FILE, "r");
    char line[1024];

    name[0] = '\0';
    while (f && fgets(line, sizeof line, f)) {
        char *first = strchr(line, ':');
        char *second = first ? strchr(first + 1, ':') : NULL;
        if (!second)
            continue;
        char *end;
        unsigned long g = strtoul(second + 1, &end, 10);
        if (end != second + 1 && *end == ':' && g == gid) {
            snprintf(name, len, "%.*s", (int)(first - line), line);
            break;
        }
    }
    if (f)
        fclose(f);
}

static bool group_exists(const char *wanted)
{
    FILE *f = fopen(GROUP_FILE, "r");
    char line[1024];
    bool found = false;
    size_t n = strlen(wanted);

    while (f && !found && fgets(line, sizeof line, f))
        found = strncmp(line, wanted, n) == 0 && line[n] == ':';
    if (f)
        fclose(f);
    return found;
}

static bool in_group(gid_t gid)
{
    gid_t groups[256];
    int n = getgroups((int)ARRAY_SIZE(groups), groups);

    if (getegid() == gid)
        return true;
    for (int i = 0; i < n; i++)
        if (groups[i] == gid)
            return true;
    return false;
}

void vm_device_facts(const char *dev, struct device_facts *f)
{
    struct stat st;

    memset(f, 0, sizeof *f);
    f->path = dev;
    if (stat(dev, &st) != 0)
        return;
    f->exists = true;
    f->mode = st.st_mode;
    f->uid = st.st_uid;
    f->gid = st.st_gid;
    group_name(st.st_gid, f->group, sizeof f->group);
    f->user_in_group = in_group(st.st_gid);
    f->kvm_group_exists = group_exists(KVM_GROUP);
}

const char *vm_device_hint(const struct device_facts *f, char *buf,
                           size_t len)
{
    const char *group = f->group[0] ? f->group : "?";
    unsigned mode = (unsigned)(f->mode & 07777);

    if (f->gid != 0 && (f->mode & GROUP_RW) == GROUP_RW && !f->user_in_group)
        snprintf(buf, len, "it is mode %04o, group '%s': add yourself to "
                 "that group (usermod -aG %s $USER, then log in again), or "
                 "run as root", mode, group, group);
    else if (f->gid != 0 && f->user_in_group)
        snprintf(buf, len, "it is mode %04o, group '%s', which you are in "
                 "but which may not open it read-write: as root, chmod "
                 "0660 %s (or install the udev rule your distribution has "
                 "for it), or run as root", mode, group, f->path);
    else if (f->kvm_group_exists)
        snprintf(buf, len, "it is mode %04o, group '%s', not the 'kvm' "
                 "group this host has: as root, chgrp kvm %s && chmod 0660 "
                 "%s, then join the group (usermod -aG kvm $USER); or run as "
                 "root", mode, group, f->path, f->path);
    else
        snprintf(buf, len, "it is mode %04o, group '%s', and this host has "
                 "no 'kvm' group: run as root, or as root create the group "
                 "and give it the device (groupadd kvm && chgrp kvm %s && "
                 "chmod 0660 %s && usermod -aG kvm $USER)", mode, group,
                 f->path, f->path);
    return buf;
}
