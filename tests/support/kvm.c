#include "tests/support/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool probed;
static char reason[512];

const char *kvm_probe(void)
{
    const char *dev = getenv("KVMELF_KVM_DEVICE");

    if (probed)
        return reason[0] ? reason : NULL;
    probed = true;
    if (!dev || !*dev)
        dev = "/dev/kvm";
    int fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        return NULL;
    }
    snprintf(reason, sizeof reason, "%s unusable: %s", dev, strerror(errno));
    fprintf(stderr, "\n*** SKIPPED: %s: every test that runs a guest is "
            "skipped ***\n\n", reason);
    return reason;
}

bool kvm_missing(void)
{
    const char *why = kvm_probe();

    if (why)
        fprintf(stderr, "SKIPPED: %s\n", why);
    return why != NULL;
}
