/* What of the host the guest sees: the --dir grants opened before any
 * confinement, the private /tmp, the working directory (linux.h). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Host fds kvmelf keeps for itself besides the guest's (stdio, the VM and
 * vCPU, the grants): the guest's hard limit stays this far below the
 * host's. */
#define HOST_FD_RESERVE 64
#define TMP_BYTES_PER_INODE 4096   /* files in /tmp: one per 4 KiB of cap */
#define TMP_MIN_INODES 1024

/* Every guest fd may be a host fd: make room for SYS_NOFILE_HARD of them,
 * or lower the guest's hard limit to what the host allows. */
static void fit_fd_limit(struct linux_process *p)
{
    struct rlimit r;

    if (getrlimit(RLIMIT_NOFILE, &r) < 0)
        return;
    rlim_t want = SYS_NOFILE_HARD + HOST_FD_RESERVE;
    if (r.rlim_cur < want) {
        r.rlim_cur = r.rlim_max < want ? r.rlim_max : want;
        setrlimit(RLIMIT_NOFILE, &r);
    }
    uint64_t *lim = p->limits[RLIMIT_NOFILE];
    if (r.rlim_cur < want) {
        uint64_t room = r.rlim_cur > 2ULL * HOST_FD_RESERVE ?
                        r.rlim_cur - HOST_FD_RESERVE : HOST_FD_RESERVE;
        lim[1] = room < lim[1] ? room : lim[1];
        lim[0] = lim[0] < lim[1] ? lim[0] : lim[1];
    }
}

/* fd moved to LINUX_HOST_FD_MIN or above (it is opened before the VM's
 * and vCPU's fds move down to theirs); -errno, fd closed either way. */
static int keep_high(int fd)
{
    if (fd < 0 || fd >= LINUX_HOST_FD_MIN)
        return fd;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, LINUX_HOST_FD_MIN);
    int e = errno;
    close(fd);
    return high >= 0 ? high : -e;
}

static int grant_error(struct kerr *err, const struct linux_grant *g,
                       const char *why)
{
    return kerr_set(err, "--dir %s%s%s: %s", g->host, g->guest ? ":" : "",
                    g->guest ? g->guest : "", why);
}

/* Opens g and adds it to the tree; its guest path (normalized) into
 * guest. */
static int add_grant(struct linux_process *p, const struct linux_grant *g,
                     char guest[FS_PATH_MAX], struct kerr *err)
{
    char *real = realpath(g->host, NULL);

    if (!real)
        return grant_error(err, g, errno == ENOENT ?
                           "no such directory on the host" : strerror(errno));
    int fd = keep_high(open(real, O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (fd < 0) {
        int e = fd == -1 ? errno : -fd;
        free(real);
        return grant_error(err, g, e == ENOTDIR ? "not a directory (--dir "
                           "grants directories)" : strerror(e));
    }
    const char *want = g->guest ? g->guest : real;
    int r = want[0] == '/' ? fs_path_normalize("/", want, guest, NULL)
                           : -EINVAL;
    if (r == 0)
        r = fs_tree_add(&p->tree, guest, real, fd, g->rw, false);
    bool relative = want[0] != '/';
    free(real);
    if (r == 0)
        return 0;
    close(fd);
    if (r == -EEXIST)
        return grant_error(err, g, "that guest path is granted twice");
    if (r == -ENOMEM)
        return kerr_set(err, "out of memory");
    return grant_error(err, g, relative ?
                       "the guest path must be absolute" :
                       r == -ENAMETOOLONG ? "the guest path is too long" :
                       "/dev and /proc are kvmelf's own (its devices, "
                       "/proc/self): choose another guest path");
}

static int fsconfig_set(int fs, const char *key, const char *value)
{
    return (int)syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, key, value, 0);
}

/* A tmpfs of the run's own, never attached anywhere: the fd is its only
 * reference, so it is gone when kvmelf ends however it ends. */
static int new_tmpfs(uint64_t size)
{
    char bytes[32], inodes[32];
    uint64_t n = size / TMP_BYTES_PER_INODE;

    snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)size);
    snprintf(inodes, sizeof inodes, "%llu",
             (unsigned long long)(n > TMP_MIN_INODES ? n : TMP_MIN_INODES));
    int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0)
        return -errno;
    int fd = -1;
    if (fsconfig_set(fs, "size", bytes) == 0 &&
        fsconfig_set(fs, "nr_inodes", inodes) == 0 &&
        fsconfig_set(fs, "mode", "1777") == 0 &&
        syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
        fd = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                          MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID |
                          MOUNT_ATTR_NOEXEC);
    int e = errno;
    close(fs);
    return fd >= 0 ? fd : -e;
}

/* Without the mount API (Linux before 5.2, or valgrind, which does not
 * know it): the same tmpfs mounted on /tmp in a mount namespace of
 * kvmelf's own, opened, and detached at once, so the fd is again its only
 * reference and the host's /tmp is what kvmelf sees. */
static int old_tmpfs(uint64_t size)
{
    char opts[96];
    uint64_t n = size / TMP_BYTES_PER_INODE;

    snprintf(opts, sizeof opts, "size=%llu,nr_inodes=%llu,mode=1777",
             (unsigned long long)size,
             (unsigned long long)(n > TMP_MIN_INODES ? n : TMP_MIN_INODES));
    if (unshare(CLONE_NEWNS) < 0 ||
        mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("kvmelf-tmp", "/tmp", "tmpfs", MS_NODEV | MS_NOSUID | MS_NOEXEC,
              opts) < 0)
        return -errno;
    int fd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int e = errno;
    umount2("/tmp", MNT_DETACH);
    return fd >= 0 ? fd : -e;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Without CAP_SYS_ADMIN a tmpfs needs a user namespace of kvmelf's own, in
 * which kvmelf keeps its own uid and gid (so the files it makes in grants
 * are still the user's). */
static int enter_own_userns(void)
{
    char map[64];
    unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();

    /* fsopen asks for CAP_SYS_ADMIN over the mount namespace's owner:
     * both namespaces must be new. */
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
        return -errno;
    snprintf(map, sizeof map, "%u %u 1\n", uid, uid);
    if (write_file("/proc/self/uid_map", map) < 0)
        return -errno;
    snprintf(map, sizeof map, "%u %u 1\n", gid, gid);
    if (write_file("/proc/self/setgroups", "deny") < 0 ||
        write_file("/proc/self/gid_map", map) < 0)
        return -errno;
    return 0;
}

/* The user namespace entered for /tmp gives kvmelf every capability over
 * what the user owns: CAP_DAC_OVERRIDE would let the guest write the
 * user's 0444 files and create in their 0555 directories, which the user
 * may not.  Once the tmpfs exists kvmelf needs none of them, and without
 * them the host checks every access as the user (docs/abi.md). */
static int drop_capabilities(void)
{
    struct __user_cap_header_struct head = {
        .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];

    memset(none, 0, sizeof none);
    return syscall(SYS_capset, &head, none) < 0 ? -errno : 0;
}

static int add_tmp(struct linux_process *p, uint64_t size, struct kerr *err)
{
    int (*make)(uint64_t) = new_tmpfs;
    int fd = make(size);

    if (fd == -ENOSYS)
        fd = (make = old_tmpfs)(size);
    if (fd == -EPERM && enter_own_userns() == 0) {
        fd = make(size);
        int e = drop_capabilities();
        if (e < 0) {
            if (fd >= 0)
                close(fd);
            return kerr_set(err, "cannot give up the capabilities of the "
                            "user namespace made for /tmp: %s (--tmp 0 "
                            "runs without one)", strerror(-e));
        }
    }
    fd = keep_high(fd);
    if (fd >= 0 && fs_tree_add(&p->tree, "/tmp", "(private tmpfs)", fd,
                               true, true) == 0)
        return 0;
    if (fd >= 0)
        close(fd);
    snprintf(p->note, sizeof p->note, "no private /tmp on this host (a "
             "tmpfs of its own: %s); the guest sees none (--tmp 0 says so "
             "quietly)", strerror(fd < 0 ? -fd : ENOMEM));
    return 0;
}

static int set_cwd(struct linux_process *p, const char *cwd, struct kerr *err)
{
    char abs[FS_PATH_MAX];
    struct fs_where w;

    if (cwd[0] != '/' || fs_path_normalize("/", cwd, abs, NULL) < 0)
        return kerr_set(err, "--cwd %s: not an absolute guest path", cwd);
    fs_lookup(&p->tree, abs, &w);
    bool dir = w.place == FS_SYNTHETIC ||
               (w.place == FS_VIRTUAL && w.vnode == VN_DIR);
    if (w.place == FS_IN_MOUNT) {
        int fd = fs_host_open(w.m, w.rel, O_PATH | O_DIRECTORY, 0, 0);
        dir = fd >= 0;
        if (fd >= 0)
            close(fd);
    }
    if (!dir)
        return kerr_set(err, "--cwd %s: no such directory in the guest's "
                        "tree (the granted directories, /tmp, /dev, /proc)",
                        cwd);
    fs_physical(&p->tree, abs, p->cwd);
    return 0;
}

/* The program's path as the guest sees it: inside a grant, its guest
 * path; else the host's absolute path (the guest cannot open it). */
static char *exe_path(const struct linux_process *p, const char *exe)
{
    char *real = exe ? realpath(exe, NULL) : NULL;

    if (!real)
        return NULL;
    for (size_t i = 0; i < p->tree.count; i++) {
        const struct fs_mount *m = &p->tree.mounts[i];
        size_t n = strlen(m->host);
        if (!m->is_tmp && strncmp(real, m->host, n) == 0 && real[n] == '/') {
            char buf[FS_PATH_MAX];
            int len = snprintf(buf, sizeof buf, "%s%s",
                               m->len > 1 ? m->guest : "", real + n);
            free(real);
            return len < (int)sizeof buf ? strdup(buf) : NULL;
        }
    }
    return real;
}

int linux_files_open(struct linux_process *p, const struct linux_files *f,
                     struct kerr *err)
{
    char first[FS_PATH_MAX] = "", guest[FS_PATH_MAX] = "";
    bool tmp_granted = false;

    fit_fd_limit(p);
    umask(0);                /* the guest's umask applies, not kvmelf's */
    for (size_t i = 0; i < f->ngrants; i++) {
        if (add_grant(p, &f->grants[i], i ? guest : first, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < p->tree.count; i++)
        tmp_granted |= strcmp(p->tree.mounts[i].guest, "/tmp") == 0;
    if (f->tmp_size && !tmp_granted && add_tmp(p, f->tmp_size, err) < 0)
        return -1;
    const char *cwd = f->cwd ? f->cwd : f->ngrants ? first : NULL;
    if (cwd && set_cwd(p, cwd, err) < 0)
        return -1;
    p->tree.exe = exe_path(p, f->exe);
    if (f->exe) {
        const char *base = strrchr(f->exe, '/');
        snprintf(p->comm, sizeof p->comm, "%s", base ? base + 1 : f->exe);
    }
    return 0;
}

size_t linux_files_trees(const struct linux_process *p,
                         struct linux_tree *out, size_t max)
{
    for (size_t i = 0; i < p->tree.count && i < max; i++) {
        const struct fs_mount *m = &p->tree.mounts[i];
        out[i] = (struct linux_tree){ .fd = m->fd, .host = m->host,
                                      .guest = m->guest, .rw = m->rw,
                                      .is_tmp = m->is_tmp };
    }
    return p->tree.count;
}

const char *linux_files_note(const struct linux_process *p)
{
    return p->note[0] ? p->note : NULL;
}
