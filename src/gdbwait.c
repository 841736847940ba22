/* --gdb and --gdb-socket: kvmelf listens, says where and what to type,
 * accepts gdb's one connection and closes the listener, all before the
 * sandbox: the run itself only reads and writes that one fd. */
#include "cli.h"
#include "common/stop.h"
#include "vcpu/vcpu.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_unix(const char *path, struct kerr *err)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    if (strlen(path) >= sizeof a.sun_path)
        return kerr_set(err, "--gdb-socket '%s': longer than a Unix socket "
                        "path may be (%zu bytes)", path,
                        sizeof a.sun_path - 1);
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return kerr_errno(err, errno, "cannot make a socket for gdb");
    mode_t old = umask(077);                  /* only the user may connect */
    int r = bind(fd, (struct sockaddr *)&a, sizeof a);
    umask(old);
    if (r < 0 || listen(fd, 1) < 0) {
        int e = errno;
        close(fd);
        return kerr_errno(err, e, "--gdb-socket '%s'%s", path,
                          e == EADDRINUSE ? " exists: remove it or choose "
                          "another path" : "");
    }
    return fd;
}

static int listen_tcp(unsigned port, struct kerr *err)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return kerr_errno(err, errno, "cannot make a socket for gdb");
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0) {
        int e = errno;
        close(fd);
        return kerr_errno(err, e, "--gdb %u: cannot listen on 127.0.0.1:%u%s",
                          port, port, e == EADDRINUSE ? " (in use: choose "
                          "another port)" : "");
    }
    return fd;
}

int gdb_wait(const struct options *o, int *conn, struct kerr *err)
{
    char where[160], remote[160];

    *conn = -1;
    if (o->gdb_port && o->gdb_socket)
        return kerr_set(err, "--gdb and --gdb-socket: choose one");
    int fd = o->gdb_socket ? listen_unix(o->gdb_socket, err)
                           : listen_tcp(o->gdb_port, err);
    if (fd < 0)
        return -1;
    if (o->gdb_socket) {
        snprintf(where, sizeof where, "%s", o->gdb_socket);
        snprintf(remote, sizeof remote, "%s", o->gdb_socket);
    } else {
        snprintf(where, sizeof where, "127.0.0.1:%u", o->gdb_port);
        snprintf(remote, sizeof remote, ":%u", o->gdb_port);
    }
    /* Now, not with the messages at the end: someone waits for it. */
    fprintf(stderr, "kvmelf: %s: waiting for gdb on %s: gdb %s -ex "
            "'target remote %s'\n", o->file, where, o->path, remote);
    fflush(stderr);
    int c;
    while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) < 0 && errno == EINTR &&
           !stop_requested())
        ;
    int e = errno;
    close(fd);
    if (o->gdb_socket)
        unlink(o->gdb_socket);    /* no second connection */
    if (c < 0)
        return stop_requested() ? kerr_set(err, "stopped while waiting for "
                                           "gdb")
                                : kerr_errno(err, e, "waiting for gdb");
    if (vm_debug_prepare(c, err) < 0) {
        close(c);
        return -1;
    }
    *conn = c;
    return 0;
}
