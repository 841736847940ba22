/* polling [sigpipe]: pipes, poll, ppoll, select and pselect6, one line per
 * result, compared by test_grants with a native run.  stdin is a pipe
 * the test feeds with a few bytes in one write and then closes.
 *
 * Timeouts are short and only their results print: that a wait on
 * nothing ends with 0 and clears what select was asked, never how long it
 * took.  poll's revents are printed whole (POLLRDNORM and all), since a
 * program may test any of them.
 *
 * "sigpipe": a write to a pipe nobody reads, with SIGPIPE's default
 * action: the process dies of it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errname.h"

/* revents as names, in a fixed order. */
static const char *events(short ev)
{
    static const struct { short bit; const char *name; } names[] = {
        { POLLIN, "IN" }, { POLLPRI, "PRI" }, { POLLOUT, "OUT" },
        { POLLERR, "ERR" }, { POLLHUP, "HUP" }, { POLLNVAL, "NVAL" },
        { POLLRDNORM, "RDNORM" }, { POLLRDBAND, "RDBAND" },
        { POLLWRNORM, "WRNORM" }, { POLLWRBAND, "WRBAND" },
        { POLLRDHUP, "RDHUP" },
    };
    static char buf[128];

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (ev & names[i].bit) {
            strcat(buf, buf[0] ? "|" : "");
            strcat(buf, names[i].name);
        }
    return buf[0] ? buf : "-";
}

/* poll of one fd for what, with timeout ms: the result and revents. */
static void poll_one(const char *what, int fd, short want, int ms)
{
    struct pollfd p = { .fd = fd, .events = want, .revents = 0x7fff };
    int r = poll(&p, 1, ms);

    if (r < 0)
        show(what, r);
    else
        printf("%-36s %d %s\n", what, r, events(p.revents));
}

static int fionread(int fd)
{
    int n = -1;
    return ioctl(fd, FIONREAD, &n) < 0 ? -1 : n;
}

static void pipes(void)
{
    int p[2];
    char buf[256];

    printf("-- pipe\n");
    show("pipe2 O_CLOEXEC|O_NONBLOCK", pipe2(p, O_CLOEXEC | O_NONBLOCK));
    show("read end O_NONBLOCK", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
    show("write end FD_CLOEXEC", fcntl(p[1], F_GETFD));
    show("read end O_RDONLY", (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY);
    show("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
    show("read empty nonblocking", read(p[0], buf, sizeof buf));
    poll_one("poll empty read end, 0 ms", p[0], POLLIN, 0);
    poll_one("poll empty read end, 5 ms", p[0], POLLIN, 5);
    poll_one("poll write end", p[1], POLLOUT, 0);
    poll_one("poll write end for POLLIN", p[1], POLLIN, 0);
    show("FIONREAD empty", fionread(p[0]));
    show("write 5", write(p[1], "hello", 5));
    show("FIONREAD", fionread(p[0]));
    poll_one("poll read end", p[0], POLLIN, 0);
    poll_one("poll read end, all events", p[0],
             POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDHUP, -1);
    show("read 3", read(p[0], buf, 3));
    show("FIONREAD after", fionread(p[0]));
    show("read the rest", read(p[0], buf, sizeof buf));
    show("write to the read end", write(p[0], "x", 1));
    show("read from the write end", read(p[1], buf, 1));

    /* Fill it: the pipe's capacity, then EAGAIN, and no POLLOUT. */
    long total = 0;
    ssize_t n;
    memset(buf, 'z', sizeof buf);
    while ((n = write(p[1], buf, sizeof buf)) > 0)
        total += n;
    show("bytes until it is full", total);
    show("then", n);
    poll_one("poll full write end", p[1], POLLOUT, 0);
    show("FIONREAD full", fionread(p[0]));
    char page[4096];
    show("read a page", read(p[0], page, sizeof page));
    poll_one("poll write end after", p[1], POLLOUT, 0);
    while (read(p[0], page, sizeof page) > 0)
        ;
    show("write again", write(p[1], "bye", 3));
    close(p[1]);
    poll_one("poll after the writer closed", p[0], POLLIN, 0);
    show("read what was left", read(p[0], buf, sizeof buf));
    poll_one("poll at end of file", p[0], POLLIN, -1);
    show("read at end of file", read(p[0], buf, sizeof buf));
    close(p[0]);

    /* A blocking pipe: the reader waits for the write that is there. */
    show("pipe", pipe(p));
    show("read end blocking", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
    write(p[1], "abc", 3);
    show("blocking read of what is there", read(p[0], buf, sizeof buf));
    show("F_SETFL O_NONBLOCK", fcntl(p[0], F_SETFL, O_NONBLOCK));
    show("read empty now", read(p[0], buf, sizeof buf));
    int d = dup(p[1]);
    close(p[1]);
    poll_one("a dup keeps the writer", p[0], POLLIN, 0);
    close(d);
    poll_one("the last writer closed", p[0], POLLIN, 0);
    close(p[0]);
}

static void epipe(void)
{
    int p[2];

    printf("-- no reader\n");
    signal(SIGPIPE, SIG_IGN);
    pipe(p);
    close(p[0]);
    show("write with SIGPIPE ignored", write(p[1], "x", 1));
    poll_one("poll the write end", p[1], POLLOUT, 0);
    close(p[1]);
    signal(SIGPIPE, SIG_DFL);
}

static void selects(void)
{
    int p[2];
    fd_set r, w;
    struct timeval tv;

    printf("-- select\n");
    pipe(p);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv = (struct timeval){ 0, 0 };
    show("select empty, zero timeout", select(p[0] + 1, &r, NULL, NULL, &tv));
    show("the fd is cleared", FD_ISSET(p[0], &r));
    FD_SET(p[0], &r);
    tv = (struct timeval){ 0, 10000 };
    /* The system call itself: Linux writes back the time left (none,
     * once it timed out), which musl's select() hides behind a copy. */
    show("select empty, 10 ms",
         syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv));
    show("the fd is cleared", FD_ISSET(p[0], &r));
    printf("%-36s %ld.%06ld\n", "time left", (long)tv.tv_sec,
           (long)tv.tv_usec);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    int nfds = (p[0] > p[1] ? p[0] : p[1]) + 1;
    show("select read and write ends", select(nfds, &r, &w, NULL, NULL));
    show("read end set", FD_ISSET(p[0], &r));
    show("write end set", FD_ISSET(p[1], &w));
    write(p[1], "q", 1);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    show("select with data", select(nfds, &r, &w, NULL, NULL));
    show("read end set", FD_ISSET(p[0], &r));
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timespec ts = { 0, 1000000 };
    sigset_t none;
    sigemptyset(&none);
    show("pselect with data", pselect(p[0] + 1, &r, NULL, NULL, &ts, &none));
    read(p[0], (char[1]){ 0 }, 1);
    FD_SET(p[0], &r);
    show("pselect empty, 1 ms", pselect(p[0] + 1, &r, NULL, NULL, &ts,
                                         &none));
    show("the fd is cleared", FD_ISSET(p[0], &r));
    /* pselect6 itself, for the time it writes back. */
    FD_SET(p[0], &r);
    struct timespec ts6 = { 0, 2000000 };
    show("pselect6 empty, 2 ms",
         syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts6, NULL));
    printf("%-36s %ld.%09ld\n", "pselect6 time left", (long)ts6.tv_sec,
           ts6.tv_nsec);
    close(p[1]);
    FD_SET(p[0], &r);
    show("select at end of file", select(p[0] + 1, &r, NULL, NULL, NULL));
    show("read end set", FD_ISSET(p[0], &r));
    close(p[0]);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv = (struct timeval){ 0, 0 };
    show("select a closed fd", select(p[0] + 1, &r, NULL, NULL, &tv));
    tv = (struct timeval){ 0, -1 };
    show("select a bad timeout", select(0, NULL, NULL, NULL, &tv));
    show("select nfds -1", select(-1, NULL, NULL, NULL, NULL));
    tv = (struct timeval){ 0, 1000 };
    show("select no fds, 1 ms", select(0, NULL, NULL, NULL, &tv));
}

static void polls(void)
{
    int p[2];

    printf("-- poll\n");
    pipe(p);
    int closed = dup(p[0]);
    close(closed);
    struct pollfd fds[4] = {
        { .fd = p[0], .events = POLLIN },
        { .fd = p[1], .events = POLLOUT },
        { .fd = closed, .events = POLLIN },
        { .fd = -1, .events = POLLIN },
    };
    for (int i = 0; i < 4; i++)
        fds[i].revents = 0x7fff;
    show("poll four, one closed, one -1", poll(fds, 4, 0));
    for (int i = 0; i < 4; i++)
        printf("%-36s %s\n", i == 0 ? "  empty read end" :
               i == 1 ? "  write end" : i == 2 ? "  closed fd" : "  fd -1",
               events(fds[i].revents));
    show("poll of nothing, 1 ms", poll(NULL, 0, 1));
    show("poll more fds than RLIMIT_NOFILE",
         poll(fds, 1 << 20, 0));
    struct timespec ts = { 0, 1000000 };
    sigset_t none;
    sigemptyset(&none);
    fds[0].revents = 0;
    show("ppoll empty, 1 ms", ppoll(fds, 1, &ts, &none));
    printf("%-36s %s\n", "  revents", events(fds[0].revents));
    /* ppoll itself writes back the time left. */
    struct timespec left = { 0, 1000000 };
    show("ppoll syscall, 1 ms", syscall(SYS_ppoll, fds, 1, &left, NULL, 8));
    printf("%-36s %ld.%09ld\n", "  time left", (long)left.tv_sec,
           left.tv_nsec);
    ts.tv_nsec = 1000000000;
    show("ppoll a bad timeout", ppoll(fds, 1, &ts, NULL));
    write(p[1], "x", 1);
    show("ppoll with data, no timeout", ppoll(fds, 1, NULL, NULL));
    printf("%-36s %s\n", "  revents", events(fds[0].revents));
    close(p[0]);
    close(p[1]);

    int f = open("/dev/null", O_RDWR);
    poll_one("/dev/null", f, POLLIN | POLLOUT, 0);
    close(f);
    f = open("/dev/zero", O_RDONLY);
    poll_one("/dev/zero", f, POLLIN | POLLOUT | POLLPRI, 0);
    close(f);
}

/* stdin: the test's pipe, fed with one write and then closed. */
static void standard_input(void)
{
    char buf[256];
    size_t got = 0;
    ssize_t n;

    printf("-- stdin\n");
    struct pollfd p = { .fd = 0, .events = POLLIN };
    show("poll stdin, no timeout", poll(&p, 1, -1));
    /* HUP too, once the test has closed its end: when is its business. */
    show("  POLLIN", (p.revents & POLLIN) != 0);
    show("FIONREAD stdin", fionread(0));
    while ((n = read(0, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    for (char *c = buf; *c; c++)
        if (*c == '\n')
            *c = '|';
    printf("%-36s \"%s\"\n", "stdin held", buf);
    show("then", n);
    poll_one("poll stdin at end of file", 0, POLLIN, -1);
    show("FIONREAD at end of file", fionread(0));
    fd_set r;
    FD_ZERO(&r);
    FD_SET(0, &r);
    show("select stdin at end of file", select(1, &r, NULL, NULL, NULL));
    show("  set", FD_ISSET(0, &r));
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "sigpipe") == 0) {
        int p[2];
        pipe(p);
        close(p[0]);
        printf("writing to a pipe nobody reads\n");
        fflush(stdout);
        write(p[1], "x", 1);
        printf("still alive\n");
        return 0;
    }
    pipes();
    epipe();
    selects();
    polls();
    standard_input();
    return 0;
}
