/* errname: the symbolic name of an errno value, and show(), a call's
 * result as one line, for the tests/linux programs whose output is
 * compared with a native run's.  Names, not
 * strerror's text: a difference then reads as "EROFS, natively EEXIST",
 * and the text would differ between libcs anyway. */
#ifndef KVMELF_TESTS_LINUX_ERRNAME_H
#define KVMELF_TESTS_LINUX_ERRNAME_H

#include <errno.h>
#include <stdio.h>

static inline const char *errname(int e)
{
#define E(name) case name: return #name;
    switch (e) {
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG)
    E(ENOEXEC) E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT)
    E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL)
    E(ENFILE) E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE)
    E(EROFS) E(EMLINK) E(EPIPE) E(ERANGE) E(EDEADLK) E(ENAMETOOLONG)
    E(ENOLCK) E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(EOVERFLOW) E(EOPNOTSUPP)
    E(ETIMEDOUT)
    }
#undef E
    static char other[24];
    snprintf(other, sizeof other, "errno %d", e);
    return other;
}

/* The column the results start at: a program whose expected output is
 * written out defines its own before including this. */
#ifndef SHOW_WIDTH
#define SHOW_WIDTH 36
#endif

/* A call's result: its value, or the errno's name when it failed. */
static inline void show(const char *what, long r)
{
    if (r < 0)
        printf("%-*s -1 %s\n", SHOW_WIDTH, what, errname(errno));
    else
        printf("%-*s %ld\n", SHOW_WIDTH, what, r);
}

#endif
