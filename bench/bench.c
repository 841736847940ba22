/*
 * kvmelf's benchmark runner (`make bench`; `make check` runs it with
 * --quick).  Every figure is a ratio of programs measured side by side in
 * the same run: variants alternate A B, B A, A B ... so that drift on a
 * shared machine hits both alike, and each figure is the median of the
 * repetitions with the interquartile range as its spread.
 *
 *   bench [--quick] [--reps N] [--write FILE] [--notes FILE] BUILD_DIR
 *
 * BUILD_DIR holds kvmelf, guests/hello.elf and bench/ (floor, the bench
 * guests, native-compute, pvh_hello.elf, readfile, churn).  The tables go to stdout and,
 * with --write, to FILE (docs/performance.md), followed by the hand-written
 * analysis in --notes FILE (bench/notes.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPS     256
/* Start-up runs take milliseconds and scatter most: they get more rounds. */
#define STARTUP_REPS_FACTOR 5
#define MAX_VARIANTS 8
#define MAX_ARGS     24
#define MIB          (1024.0 * 1024.0)
/* Exit status when there is no KVM to measure: the Makefile reports a skip. */
#define BENCH_SKIPPED 77

struct config {
    bool quick;
    int reps;
    const char *build;
    const char *write_path;
    const char *notes_path;      /* hand-written analysis appended */
    char kvmelf[PATH_MAX], hello[PATH_MAX], floor[PATH_MAX], dir[PATH_MAX];
    char native[PATH_MAX], pvh[PATH_MAX], tmpdir[PATH_MAX];
    const char *qemu;            /* NULL: not installed */
    const char *qemu_why;        /* why there is no QEMU column */
};

static struct config cfg;
static FILE *report;             /* the markdown, printed and written */
static int failures;

/* ---- Running one program ------------------------------------------------ */

struct sample {
    double sec;                  /* wall time, fork to reaped */
    long maxrss_kib;
    int status;
};

static char *slurp_fd(int fd)
{
    off_t len = lseek(fd, 0, SEEK_END);
    char *buf = malloc(len > 0 ? (size_t)len + 1 : 1);
    ssize_t n = len > 0 ? pread(fd, buf, (size_t)len, 0) : 0;

    if (!buf)
        abort();
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static double now_sec(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs argv with stdout to /dev/null (or captured into *out) and stderr
 * captured into *err when err is not NULL. */
static struct sample run(const char *const argv[], char **out, char **err)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int ofd = out ? memfd_create("out", MFD_CLOEXEC) : null;
    int efd = err ? memfd_create("err", MFD_CLOEXEC) : null;
    struct sample s = { 0 };
    struct rusage ru;
    int status;

    if (null < 0 || ofd < 0 || efd < 0) {
        perror("bench: open");
        exit(2);
    }
    double t0 = now_sec();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(null, 0);
        dup2(ofd, 1);
        dup2(efd, 2);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
        perror("bench: fork/wait");
        exit(2);
    }
    s.sec = now_sec() - t0;
    s.maxrss_kib = ru.ru_maxrss;
    s.status = WIFEXITED(status) ? WEXITSTATUS(status)
                                 : 128 + WTERMSIG(status);
    if (out)
        *out = slurp_fd(ofd);
    if (err)
        *err = slurp_fd(efd);
    if (ofd != null)
        close(ofd);
    if (efd != null)
        close(efd);
    close(null);
    return s;
}

/* ---- Side-by-side measurement ------------------------------------------- */

struct variant {
    const char *name;
    const char *argv[MAX_ARGS];
    int expect_status;
    double sec[MAX_REPS];
    long rss[MAX_REPS];
    int n;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* q-quantile of v[0..n) (linear interpolation). */
static double quantile(const double *v, int n, double q)
{
    double s[MAX_REPS];

    if (n == 0)
        return 0;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double pos = q * (n - 1);
    int i = (int)pos;
    return i + 1 < n ? s[i] + (pos - i) * (s[i + 1] - s[i]) : s[i];
}

static double median(const double *v, int n)
{
    return quantile(v, n, 0.5);
}

/* Interquartile range as a percentage of the median. */
static double spread_pct(const double *v, int n)
{
    double m = median(v, n);
    return m > 0 ? 100.0 * (quantile(v, n, 0.75) - quantile(v, n, 0.25)) / m
                 : 0;
}

static void check_status(const struct variant *v, int status)
{
    if (status == v->expect_status)
        return;
    fprintf(stderr, "bench: %s exited with %d, expected %d:", v->name,
            status, v->expect_status);
    for (int i = 0; v->argv[i]; i++)
        fprintf(stderr, " %s", v->argv[i]);
    fputc('\n', stderr);
    failures++;
}

/* reps rounds over the variants, the order reversed every other round. */
static void measure(struct variant *v, int nv, int reps)
{
    for (int r = 0; r < reps && r < MAX_REPS; r++)
        for (int k = 0; k < nv; k++) {
            struct variant *x = &v[r % 2 ? nv - 1 - k : k];
            struct sample s = run(x->argv, NULL, NULL);
            check_status(x, s.status);
            x->rss[x->n] = s.maxrss_kib;
            x->sec[x->n++] = s.sec;
        }
}

static double med(const struct variant *v)
{
    return median(v->sec, v->n);
}

/* ---- Report helpers ---------------------------------------------------- */

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(report, fmt, ap);
    va_end(ap);
}

struct target {
    const char *what;
    char measured[96];
    bool met;
};
static struct target targets[16];
static int ntargets;

static void target(const char *what, bool met, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void target(const char *what, bool met, const char *fmt, ...)
{
    va_list ap;
    struct target *t = &targets[ntargets++];

    t->what = what;
    t->met = met;
    va_start(ap, fmt);
    vsnprintf(t->measured, sizeof t->measured, fmt, ap);
    va_end(ap);
}

static void path_in(char *buf, const char *dir, const char *name)
{
    if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX) {
        fprintf(stderr, "bench: path too long: %s/%s\n", dir, name);
        exit(2);
    }
}

static const char *bench_elf(const char *name)
{
    static char bufs[16][PATH_MAX];
    static int next;
    char *b = bufs[next++ % 16];
    char file[NAME_MAX];
    snprintf(file, sizeof file, "%s.elf", name);
    path_in(b, cfg.dir, file);
    return b;
}

static const char *num(unsigned long long v)
{
    static char bufs[16][32];
    static int next;
    char *b = bufs[next++ % 16];
    snprintf(b, 32, "%llu", v);
    return b;
}

/* ---- 1. hello start-to-exit -------------------------------------------- */

static const char *const qemu_args[] = {
    "-M", "microvm,x-option-roms=off,rtc=off,pit=off,pic=off,isa-serial=on",
    "-enable-kvm", "-cpu", "qemu64", "-m", "16M", "-nodefaults",
    "-no-user-config", "-nographic", "-serial", "stdio",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-no-reboot",
};

static double hello_kvmelf_sec;      /* for the throughput baselines */

static void stats_breakdown(int reps);

static void bench_hello(void)
{
    struct variant v[3] = {
        { .name = "floor (raw KVM, bench/floor.c)",
          .argv = { cfg.floor, "hello" } },
        { .name = "kvmelf run hello.elf",
          .argv = { cfg.kvmelf, "run", cfg.hello } },
    };
    int nv = 2;

    if (cfg.qemu) {
        struct variant *q = &v[nv++];
        size_t i = 0;
        q->name = "QEMU microvm (PVH hello)";
        q->expect_status = 1;        /* isa-debug-exit: (0 << 1) | 1 */
        q->argv[i++] = cfg.qemu;
        for (size_t k = 0; k < sizeof qemu_args / sizeof *qemu_args; k++)
            q->argv[i++] = qemu_args[k];
        q->argv[i++] = "-kernel";
        q->argv[i++] = cfg.pvh;
    }
    int reps = cfg.quick ? 1 : cfg.reps * STARTUP_REPS_FACTOR;
    measure(v, nv, reps);

    double floor_s = med(&v[0]), kv = med(&v[1]);
    hello_kvmelf_sec = kv;
    out("## 1. hello, start to exit (whole process)\n\n");
    out("| program | median | spread (IQR) | ratio to the floor |\n");
    out("|---|---:|---:|---:|\n");
    for (int k = 0; k < nv; k++)
        out("| %s | %.2f ms | %.0f%% | %.2fx |\n", v[k].name,
            med(&v[k]) * 1e3, spread_pct(v[k].sec, v[k].n),
            med(&v[k]) / floor_s);
    if (cfg.qemu) {
        out("\nQEMU microvm takes **%.1fx** as long as kvmelf.\n",
            med(&v[2]) / kv);
        target("hello: at least 18x faster than QEMU microvm",
               med(&v[2]) / kv >= 18, "%.1fx", med(&v[2]) / kv);
    } else {
        out("\nNo QEMU column: %s.\n", cfg.qemu_why);
        target("hello: at least 18x faster than QEMU microvm", false,
               "not measured (%s)", cfg.qemu_why);
    }
    target("hello: within 1.15x of the floor", kv / floor_s <= 1.15,
           "%.3fx", kv / floor_s);
    out("\n");
    stats_breakdown(reps);
}

/* Medians of `kvmelf run --stats hello.elf`'s lines. */
static void stats_breakdown(int reps)
{
    enum { MAX_LINES = 16 };
    char names[MAX_LINES][40];
    char notes[MAX_LINES][48];
    double ms[MAX_LINES][MAX_REPS];
    int nlines = 0, n = 0;
    const char *argv[] = { cfg.kvmelf, "run", "--stats", cfg.hello, NULL };

    for (int r = 0; r < reps && r < MAX_REPS; r++, n++) {
        char *err;
        struct sample s = run(argv, NULL, &err);
        if (s.status != 0)
            failures++;
        int i = 0;
        for (char *line = strtok(err, "\n"); line && i < MAX_LINES;
             line = strtok(NULL, "\n")) {
            char name[40] = "", note[48] = "";
            double v;
            const char *p = strstr(line, "stats: ");
            if (!p)
                continue;
            p += 7;
            /* Stages only: not the exits by kind under "run", nor the
             * files (a "64 MiB" is no time). */
            if (*p == ' ' || strncmp(p, "files: ", 7) == 0)
                continue;
            const char *num_at = p;
            while (*num_at && !(*num_at >= '0' && *num_at <= '9'))
                num_at++;
            size_t len = (size_t)(num_at - p);
            while (len && p[len - 1] == ' ')
                len--;
            snprintf(name, sizeof name, "%.*s", (int)len, p);
            if (sscanf(num_at, "%lf ms %47[^\n]", &v, note) < 1)
                continue;
            if (r == 0) {
                snprintf(names[i], sizeof names[i], "%s", name);
                snprintf(notes[i], sizeof notes[i], "%s", note);
                nlines = i + 1;
            }
            ms[i++][n] = v;
        }
        free(err);
    }
    out("Where kvmelf's time goes (`kvmelf run --stats hello.elf`, "
        "medians of %d runs):\n\n", n);
    out("| stage | median | note |\n|---|---:|---|\n");
    for (int i = 0; i < nlines; i++)
        out("| %s | %.3f ms | %s |\n", names[i], median(ms[i], n), notes[i]);
    out("\n");
}

/* ---- 2 + 3. Port exits and output throughput ---------------------------- */

static void bench_exits_and_output(void)
{
    unsigned long outs = cfg.quick ? 1000 : 200000;
    unsigned long rep_bytes = cfg.quick ? 1000 : 100000;
    unsigned long bulk = cfg.quick ? 1u << 20 : 1u << 30;
    unsigned long stdio_bytes = cfg.quick ? 1u << 16 : 64u << 20;
    int reps = cfg.quick ? 1 : (cfg.reps + 1) / 2;
    struct variant ex[2] = {
        { .name = "floor", .argv = { cfg.floor, "outs", num(outs) } },
        { .name = "kvmelf", .argv = { cfg.kvmelf, "run", bench_elf("outs"),
                                      num(outs) } },
    };
    struct variant rep[2] = {
        { .name = "floor", .argv = { cfg.floor, "repouts", num(rep_bytes) } },
        { .name = "kvmelf", .argv = { cfg.kvmelf, "run", bench_elf("repouts"),
                                      num(rep_bytes) } },
    };
    struct variant bulkv[2] = {
        { .name = "bulk write, 1 MiB per exit (kvmelf_write)",
          .argv = { cfg.kvmelf, "run", bench_elf("bulkwrite"), num(bulk),
                    num(1u << 20) } },
        { .name = "stdout buffer, putchar (64 KiB per exit)",
          .argv = { cfg.kvmelf, "run", bench_elf("stdio"),
                    num(stdio_bytes) } },
    };

    measure(ex, 2, reps);
    measure(rep, 2, reps);
    measure(bulkv, 2, cfg.quick ? 1 : cfg.reps);

    double fe = med(&ex[0]) / (double)outs, ke = med(&ex[1]) / (double)outs;
    out("## 2. Cost of one port-I/O exit\n\n");
    out("A guest doing %lu single-byte OUTs to COM1, stdout to /dev/null; "
        "time per exit = whole run / %lu (start-up is under 0.1%% of it).\n\n",
        outs, outs);
    out("| program | median run | spread | per exit | ratio to the floor |\n");
    out("|---|---:|---:|---:|---:|\n");
    out("| floor | %.3f s | %.0f%% | %.2f us | 1.00x |\n", med(&ex[0]),
        spread_pct(ex[0].sec, ex[0].n), fe * 1e6);
    out("| kvmelf | %.3f s | %.0f%% | %.2f us | %.3fx |\n\n", med(&ex[1]),
        spread_pct(ex[1].sec, ex[1].n), ke * 1e6, ke / fe);
    target("per-exit cost within 1.1x of the floor", ke / fe <= 1.1,
           "%.3fx (%.1f us vs %.1f us)", ke / fe, ke * 1e6, fe * 1e6);

    /* Throughput: bytes over (run time - the program's start-to-exit). */
    double rf = (double)rep_bytes / med(&rep[0]) / 1e6;
    double rk = (double)rep_bytes / med(&rep[1]) / 1e6;
    double bsec = med(&bulkv[0]) - hello_kvmelf_sec;
    double ssec = med(&bulkv[1]) - hello_kvmelf_sec;
    double bw = bsec > 0 ? (double)bulk / bsec / 1e6 : 0;
    double sw = ssec > 0 ? (double)stdio_bytes / ssec / 1e6 : 0;
    out("## 3. Serial throughput to /dev/null\n\n");
    out("MB/s = bytes / run time; for the bulk paths the run time minus "
        "kvmelf's hello start-to-exit (%.2f ms) measured above.\n\n",
        hello_kvmelf_sec * 1e3);
    out("| path | bytes | median run | spread | MB/s | ratio |\n");
    out("|---|---:|---:|---:|---:|---:|\n");
    out("| byte-by-byte OUT, floor | %lu | %.3f s | %.0f%% | %.3f | 1.00x |\n",
        outs, med(&ex[0]), spread_pct(ex[0].sec, ex[0].n),
        (double)outs / med(&ex[0]) / 1e6);
    out("| byte-by-byte OUT, kvmelf | %lu | %.3f s | %.0f%% | %.3f | %.3fx |\n",
        outs, med(&ex[1]), spread_pct(ex[1].sec, ex[1].n),
        (double)outs / med(&ex[1]) / 1e6, fe / ke);
    out("| rep outsb, floor | %lu | %.3f s | %.0f%% | %.3f | 1.00x |\n",
        rep_bytes, med(&rep[0]), spread_pct(rep[0].sec, rep[0].n), rf);
    out("| rep outsb, kvmelf | %lu | %.3f s | %.0f%% | %.3f | %.3fx |\n",
        rep_bytes, med(&rep[1]), spread_pct(rep[1].sec, rep[1].n), rk,
        rk / rf);
    out("| %s | %lu | %.3f s | %.0f%% | %.0f | %.0fx byte OUT |\n",
        bulkv[0].name, bulk, med(&bulkv[0]),
        spread_pct(bulkv[0].sec, bulkv[0].n), bw,
        bw / ((double)outs / med(&ex[1]) / 1e6));
    out("| %s | %lu | %.3f s | %.0f%% | %.0f | %.0fx byte OUT |\n\n",
        bulkv[1].name, stdio_bytes, med(&bulkv[1]),
        spread_pct(bulkv[1].sec, bulkv[1].n), sw,
        sw / ((double)outs / med(&ex[1]) / 1e6));
    target("bulk write at least 1 GB/s to /dev/null", bw >= 1000,
           "%.0f MB/s", bw);
    /* "At least as fast": within the measurement's own spread. */
    target("rep outsb at least as fast as the floor (3 % noise allowed)",
           rk / rf >= 0.97,
           "%.3fx", rk / rf);
}

/* ---- 4. Guest compute vs native ----------------------------------------- */

struct kernel_result {
    char name[16];
    double ticks[MAX_REPS];
    unsigned long long sum;
    bool sum_differs;
};

static int parse_compute(const char *text, struct kernel_result *k, int n,
                         int idx)
{
    int found = 0;
    for (const char *l = text; (l = strstr(l, "compute ")) != NULL; l++) {
        char name[16];
        unsigned long long t, sum;
        if (sscanf(l, "compute %15s %llu %llu", name, &t, &sum) != 3 ||
            found >= n)
            continue;
        if (idx == 0) {
            snprintf(k[found].name, sizeof k[found].name, "%s", name);
            k[found].sum = sum;
        } else if (k[found].sum != sum) {
            k[found].sum_differs = true;
        }
        k[found++].ticks[idx] = (double)t;
    }
    return found;
}

static void bench_compute(void)
{
    enum { KERNELS = 3 };
    struct kernel_result nat[KERNELS] = { 0 }, gst[KERNELS] = { 0 };
    int reps = cfg.quick ? 1 : cfg.reps;
    const char *runs = cfg.quick ? "1" : "9";
    const char *nargv[] = { cfg.native, runs, NULL };
    const char *gargv[] = { cfg.kvmelf, "run", bench_elf("compute"), runs,
                            NULL };
    int n = 0;

    for (int r = 0; r < reps && r < MAX_REPS; r++, n++)
        for (int k = 0; k < 2; k++) {
            bool native = (k == 0) == (r % 2 == 0);
            char *text;
            struct sample s = run(native ? nargv : gargv, &text, NULL);
            if (s.status != 0 ||
                parse_compute(text, native ? nat : gst, KERNELS, n) != KERNELS) {
                fprintf(stderr, "bench: compute run failed (status %d)\n",
                        s.status);
                failures++;
            }
            free(text);
        }
    out("## 4. Guest compute vs native\n\n");
    out("The same object file (bench/compute/kernels.c, built once with "
        "the guest flags) linked into a host program and into a guest. "
        "Each kernel is timed inside the program with RDTSC around the "
        "kernel alone (after a warm-up run; the fastest of %s runs, the one "
        "the shared machine disturbed least), so start-up and exits are not "
        "counted; the median over %d processes of each, alternating. "
        "speed = native ticks / guest ticks.\n\n", runs, n);
    out("| kernel | native (Mticks) | guest (Mticks) | spread n/g | guest speed | same result |\n");
    out("|---|---:|---:|---:|---:|---|\n");
    double worst = 1e9;
    for (int k = 0; k < KERNELS; k++) {
        double a = median(nat[k].ticks, n), b = median(gst[k].ticks, n);
        double speed = b > 0 ? a / b : 0;
        bool same = nat[k].sum == gst[k].sum && !nat[k].sum_differs &&
                    !gst[k].sum_differs;
        if (!same)
            failures++;
        if (speed < worst)
            worst = speed;
        out("| %s | %.2f | %.2f | %.0f%% / %.0f%% | %.3fx | %s |\n",
            nat[k].name, a / 1e6, b / 1e6, spread_pct(nat[k].ticks, n),
            spread_pct(gst[k].ticks, n), speed, same ? "yes" : "NO");
    }
    out("\n");
    target("guest compute at least 0.98x native", worst >= 0.98,
           "slowest kernel %.3fx", worst);
}

/* ---- 5. Memory ---------------------------------------------------------- */

static long page_table_bytes(const char *mem)
{
    const char *argv[] = { cfg.kvmelf, "run", "--stats", "--mem", mem,
                           cfg.hello, NULL };
    char *err;
    long bytes = -1;

    run(argv, NULL, &err);
    const char *p = strstr(err, "page tables: ");
    if (p)
        bytes = strtol(p + 13, NULL, 10);
    free(err);
    return bytes;
}

static void bench_memory(void)
{
    static const char *const mems[] = { "64M", "1G", "16G" };
    struct variant v[3];
    int reps = cfg.quick ? 1 : cfg.reps * 2;

    memset(v, 0, sizeof v);
    for (int i = 0; i < 3; i++)
        v[i] = (struct variant){ .name = mems[i],
            .argv = { cfg.kvmelf, "run", "--mem", mems[i], cfg.hello } };
    measure(v, 3, reps);
    out("## 5. Memory\n\n");
    out("Peak RSS of `kvmelf run --mem SIZE hello.elf` (wait4's ru_maxrss, "
        "median of %d), and the page tables kvmelf built (`--stats`).\n\n",
        v[0].n);
    out("| --mem | peak RSS | vs 64M | page tables |\n|---|---:|---:|---:|\n");
    double base = 0, rss16 = 0;
    for (int i = 0; i < 3; i++) {
        double rss[MAX_REPS];
        for (int r = 0; r < v[i].n; r++)
            rss[r] = (double)v[i].rss[r];
        double m = median(rss, v[i].n);
        if (i == 0)
            base = m;
        if (i == 2)
            rss16 = m;
        out("| %s | %.0f KiB | %+.0f KiB | %ld bytes |\n", mems[i], m,
            m - base, page_table_bytes(mems[i]));
    }
    out("\n");
    target("RSS of a 16 GiB guest within 2 MiB of a 64 MiB one",
           rss16 - base <= 2048, "%+.0f KiB", rss16 - base);
}

/* ---- 6. Scaling ---------------------------------------------------------- */

/* A minimal valid guest: a text page that exits with status 0 and one RW
 * data segment of `bytes` file-backed bytes. */
static void write_sized_elf(const char *path, unsigned long bytes)
{
    static const uint8_t code[] = {
        0x31, 0xc0,                     /* xor %eax, %eax        */
        0x66, 0xba, 0x00, 0x05,         /* mov $0x500, %dx       */
        0xef,                           /* out %eax, (%dx)       */
        0xf4,                           /* hlt                   */
    };
    enum { page = 4096 };
    const uint64_t text = 0x100000, data = 0x200000;
    uint8_t head[page];
    FILE *f = fopen(path, "wb");

    if (!f) {
        perror(path);
        exit(2);
    }
    memset(head, 0, sizeof head);
    uint8_t *e = head;
    memcpy(e, "\177ELF\2\1\1", 7);
    uint16_t h16[] = { 2, 62 };                       /* ET_EXEC, x86-64 */
    memcpy(e + 16, h16, 4);
    uint32_t version = 1;
    memcpy(e + 20, &version, 4);
    memcpy(e + 24, &text, 8);                         /* e_entry */
    uint64_t phoff = 64;
    memcpy(e + 32, &phoff, 8);
    uint16_t h2[] = { 64, 56, 2, 64, 0, 0 };  /* ehsize phentsize phnum ... */
    memcpy(e + 52, h2, sizeof h2);
    uint64_t ph[2][7] = {
        /* type|flags, offset, vaddr, paddr, filesz, memsz, align */
        { 1 | (uint64_t)5 << 32, page, text, text, sizeof code, sizeof code,
          page },
        { 1 | (uint64_t)6 << 32, 2 * page, data, data, bytes, bytes, page },
    };
    memcpy(e + 64, ph, sizeof ph);
    fwrite(head, 1, page, f);
    memset(head, 0, sizeof head);
    memcpy(head, code, sizeof code);
    fwrite(head, 1, page, f);
    memset(head, 0xa5, sizeof head);                  /* non-zero data */
    for (unsigned long done = 0; done < bytes; done += page)
        fwrite(head, 1, bytes - done < page ? bytes - done : page, f);
    if (fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

static void bench_scaling(void)
{
    static const char *const mems[] = { "2M", "64M", "1G", "16G", "64G" };
    static const char *const mibs[] = { "2", "64", "1024", "16384", "65536" };
    static const unsigned long sizes[] = { 1024, 65536, 1 << 20, 16 << 20,
                                           64 << 20 };
    const int nmem = 5, nsize = cfg.quick ? 3 : 5;
    struct variant m[10], s[5];
    int reps = cfg.quick ? 1 : cfg.reps * STARTUP_REPS_FACTOR / 2;
    char elf[5][PATH_MAX];

    memset(m, 0, sizeof m);
    memset(s, 0, sizeof s);
    for (int i = 0; i < nmem; i++) {
        m[2 * i] = (struct variant){ .name = mems[i],
            .argv = { cfg.kvmelf, "run", "--mem", mems[i], cfg.hello } };
        m[2 * i + 1] = (struct variant){ .name = mems[i],
            .argv = { cfg.floor, "hello", mibs[i] } };
    }
    for (int i = 0; i < nsize; i++) {
        char file[NAME_MAX];
        snprintf(file, sizeof file, "seg%lu.elf", sizes[i]);
        path_in(elf[i], cfg.tmpdir, file);
        write_sized_elf(elf[i], sizes[i]);
        s[i] = (struct variant){ .name = num(sizes[i]),
            .argv = { cfg.kvmelf, "run", "--mem", "256M", elf[i] } };
    }
    measure(m, 2 * nmem, reps);
    measure(s, nsize, reps);

    out("## 6. Scaling\n\n");
    out("`kvmelf run --mem SIZE hello.elf` beside the floor program with a "
        "memory slot of the same size (`floor hello MIB`), whole process, "
        "medians of %d:\n\n", m[0].n);
    out("| --mem | kvmelf | spread | floor, same slot | kvmelf / floor "
        "| kvmelf vs 2M |\n|---|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < nmem; i++)
        out("| %s | %.2f ms | %.0f%% | %.2f ms | %.3fx | %.3fx |\n", mems[i],
            med(&m[2 * i]) * 1e3, spread_pct(m[2 * i].sec, m[2 * i].n),
            med(&m[2 * i + 1]) * 1e3, med(&m[2 * i]) / med(&m[2 * i + 1]),
            med(&m[2 * i]) / med(&m[0]));
    out("\nA generated ELF with one data segment of N file bytes "
        "(`--mem 256M`), whole process:\n\n");
    out("| segment bytes | median | spread | ratio to 1 KiB | MB/s beyond 1 KiB |\n");
    out("|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < nsize; i++) {
        double extra = med(&s[i]) - med(&s[0]);
        out("| %lu | %.2f ms | %.0f%% | %.3fx | ", sizes[i], med(&s[i]) * 1e3,
            spread_pct(s[i].sec, s[i].n), med(&s[i]) / med(&s[0]));
        if (i > 0 && extra > 0)
            out("%.0f |\n", (double)(sizes[i] - sizes[0]) / extra / 1e6);
        else
            out("- |\n");
        unlink(elf[i]);
    }
    out("\n");
}

/* ---- 7. Files ------------------------------------------------------------ */

/* PATH of `bytes` bytes that are not all alike (a pattern per page). */
static void write_data_file(const char *path, unsigned long bytes)
{
    unsigned char page[4096];
    FILE *f = fopen(path, "wb");

    if (!f) {
        perror(path);
        exit(2);
    }
    for (unsigned long done = 0, k = 0; done < bytes; done += sizeof page, k++) {
        memset(page, (int)(k * 37 % 251), sizeof page);
        unsigned long n = bytes - done < sizeof page ? bytes - done : sizeof page;
        if (fwrite(page, 1, n, f) != n) {
            perror(path);
            exit(2);
        }
    }
    if (fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

struct read_result {
    double loop_ns[MAX_REPS], wall[MAX_REPS];
    char sums[MAX_REPS][64];
    int n;
};

/* reps rounds of native and guest readfile runs, alternating. */
static void measure_reads(const char *const nargv[], const char *const gargv[],
                          struct read_result *nat, struct read_result *gst,
                          int reps)
{
    for (int r = 0; r < reps && r < MAX_REPS; r++)
        for (int k = 0; k < 2; k++) {
            bool native = (k == 0) == (r % 2 == 0);
            struct read_result *x = native ? nat : gst;
            unsigned long long bytes = 0, ns = 0;
            char *text;
            struct sample sm = run(native ? nargv : gargv, &text, NULL);
            if (sm.status != 0 || sscanf(text, "bytes %llu ns %llu sum %63s",
                                         &bytes, &ns, x->sums[x->n]) != 3) {
                fprintf(stderr, "bench: readfile run failed (status %d)\n",
                        sm.status);
                failures++;
            }
            free(text);
            x->loop_ns[x->n] = (double)ns;
            x->wall[x->n++] = sm.sec;
        }
}

static bool same_sums(const struct read_result *a, const struct read_result *b)
{
    for (int i = 0; i < a->n && i < b->n; i++)
        if (strcmp(a->sums[i], a->sums[0]) != 0 ||
            strcmp(b->sums[i], a->sums[0]) != 0)
            return false;
    return a->n > 0;
}

static void bench_files(void)
{
    unsigned long bytes = cfg.quick ? 1u << 20 : 100u << 20;
    static const char *const chunks[] = { "1048576", "4096" };
    const int nchunks = 2;
    int reps = cfg.quick ? 1 : cfg.reps;
    char dir[PATH_MAX], file[PATH_MAX], grant[PATH_MAX + 8], prog[PATH_MAX];
    static struct read_result nat[2], gst[2];

    path_in(dir, cfg.tmpdir, "files");
    path_in(file, dir, "data.bin");
    path_in(prog, cfg.dir, "readfile");
    snprintf(grant, sizeof grant, "%s:/data", dir);
    if (mkdir(dir, 0755) != 0) {
        perror(dir);
        exit(2);
    }
    write_data_file(file, bytes);
    for (int c = 0; c < nchunks; c++) {
        const char *nargv[] = { prog, file, chunks[c], NULL };
        const char *gargv[] = { cfg.kvmelf, "run", "--dir", grant, prog,
                                "/data/data.bin", chunks[c], NULL };
        memset(&nat[c], 0, sizeof nat[c]);
        memset(&gst[c], 0, sizeof gst[c]);
        measure_reads(nargv, gargv, &nat[c], &gst[c], reps);
    }
    struct variant tmp[2] = {
        { .name = "--tmp 0", .argv = { cfg.kvmelf, "run", "--tmp", "0", prog,
                                       "/dev/null" } },
        { .name = "private /tmp (default)",
          .argv = { cfg.kvmelf, "run", prog, "/dev/null" } },
    };
    measure(tmp, 2, cfg.quick ? 1 : cfg.reps * STARTUP_REPS_FACTOR);

    out("## 7. Files\n\n");
    out("`readfile PATH CHUNK` (bench/linux/readfile.c, one static musl "
        "binary built with kvmelf-cc) reads a %lu-byte file to its end with "
        "read(2) calls of CHUNK bytes, natively and as `kvmelf run --dir "
        "DIR:/data readfile /data/data.bin CHUNK`, alternating; the file is "
        "in the page cache. The loop is timed inside the program "
        "(CLOCK_MONOTONIC around the reads alone); whole run = fork to "
        "reaped. Medians of %d; speed = native time / kvmelf time.\n\n",
        bytes, nat[0].n);
    out("| chunk | native loop | kvmelf loop | spread n/k | MB/s n/k | loop speed "
        "| whole run n/k | same bytes |\n|---:|---:|---:|---:|---:|---:|---:|---|\n");
    double speed_1m = 0;
    for (int c = 0; c < nchunks; c++) {
        double a = median(nat[c].loop_ns, nat[c].n);
        double b = median(gst[c].loop_ns, gst[c].n);
        bool same = same_sums(&nat[c], &gst[c]);
        if (!same)
            failures++;
        if (c == 0)
            speed_1m = b > 0 ? a / b : 0;
        out("| %s | %.2f ms | %.2f ms | %.0f%% / %.0f%% | %.0f / %.0f | %.3fx "
            "| %.2f / %.2f ms | %s |\n", chunks[c], a / 1e6, b / 1e6,
            spread_pct(nat[c].loop_ns, nat[c].n),
            spread_pct(gst[c].loop_ns, gst[c].n),
            a > 0 ? (double)bytes / a * 1e3 : 0,
            b > 0 ? (double)bytes / b * 1e3 : 0, b > 0 ? a / b : 0,
            median(nat[c].wall, nat[c].n) * 1e3,
            median(gst[c].wall, gst[c].n) * 1e3, same ? "yes" : "NO");
    }
    out("\nWhat the private /tmp costs at start-up (`kvmelf run readfile "
        "/dev/null`, whole run, medians of %d):\n\n", tmp[0].n);
    out("| run | median | spread | vs --tmp 0 |\n|---|---:|---:|---:|\n");
    for (int i = 0; i < 2; i++)
        out("| %s | %.2f ms | %.0f%% | %+.3f ms |\n", tmp[i].name,
            med(&tmp[i]) * 1e3, spread_pct(tmp[i].sec, tmp[i].n),
            (med(&tmp[i]) - med(&tmp[0])) * 1e3);
    out("\n");
    target("read(2) of a file through --dir at least 0.5x native (1 MiB calls)",
           speed_1m >= 0.5, "%.3fx", speed_1m);
    unlink(file);
    rmdir(dir);
}

/* ---- 8. Memory churn ------------------------------------------------------ */

static void bench_churn(void)
{
    static const struct { const char *size, *count; } cases[] = {
        { "65536", "2000" }, { "204800", "500" }, { "2097152", "50" },
    };
    enum { NCASES = 3 };
    int reps = cfg.quick ? 1 : cfg.reps;
    char prog[PATH_MAX];
    static struct read_result nat[NCASES], gst[NCASES];
    double ratio_200k = 0;

    path_in(prog, cfg.dir, "churn");
    for (int c = 0; c < NCASES; c++) {
        const char *count = cfg.quick ? "5" : cases[c].count;
        const char *nargv[] = { prog, cases[c].size, count, NULL };
        const char *gargv[] = { cfg.kvmelf, "run", prog, cases[c].size, count,
                                NULL };
        memset(&nat[c], 0, sizeof nat[c]);
        memset(&gst[c], 0, sizeof gst[c]);
        measure_reads(nargv, gargv, &nat[c], &gst[c], reps);
    }
    out("## 8. Memory churn\n\n");
    out("`churn SIZE COUNT` (bench/linux/churn.c, one static musl binary) "
        "maps SIZE bytes of anonymous memory, writes a byte of every page "
        "and unmaps it, COUNT times, natively and under kvmelf, "
        "alternating; the loop is timed inside the program. What an "
        "allocator does with large blocks. Medians of %d; ratio = kvmelf "
        "time / native time.\n\n", nat[0].n);
    out("| size | count | native per cycle | kvmelf per cycle | spread n/k "
        "| ratio | fresh pages read zero |\n|---:|---:|---:|---:|---:|---:|---|\n");
    for (int c = 0; c < NCASES; c++) {
        double a = median(nat[c].loop_ns, nat[c].n);
        double b = median(gst[c].loop_ns, gst[c].n);
        double n = strtod(cfg.quick ? "5" : cases[c].count, NULL);
        bool zero = same_sums(&nat[c], &gst[c]) &&
                    strcmp(nat[c].sums[0], "0") == 0;
        if (!zero)
            failures++;
        if (c == 1)
            ratio_200k = a > 0 ? b / a : 0;
        out("| %s | %.0f | %.1f us | %.1f us | %.0f%% / %.0f%% | %.2fx | %s |\n",
            cases[c].size, n, a / n / 1e3, b / n / 1e3,
            spread_pct(nat[c].loop_ns, nat[c].n),
            spread_pct(gst[c].loop_ns, gst[c].n), a > 0 ? b / a : 0,
            zero ? "yes" : "NO");
    }
    out("\n");
    target("mmap + touch + munmap of 200 KiB at most 1.3x native",
           ratio_200k <= 1.3, "%.2fx", ratio_200k);
}

/* ---- Set-up and main ----------------------------------------------------- */

static void describe_machine(int argc, char **argv)
{
    struct utsname u;
    char cpu[128] = "unknown", line[256];
    FILE *f = fopen("/proc/cpuinfo", "r");
    time_t t = time(NULL);
    char when[64];

    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (snprintf(cpu, sizeof cpu, "%s", p ? p + 2 : line) < 0)
                break;
            cpu[strcspn(cpu, "\n")] = '\0';
            break;
        }
    if (f)
        fclose(f);
    uname(&u);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&t));
    out("- machine: %s, %ld CPUs, Linux %s, KVM module %s\n", cpu,
        sysconf(_SC_NPROCESSORS_ONLN), u.release,
        access("/sys/module/kvm_pvm", F_OK) == 0 ? "kvm_pvm (nested)"
        : access("/sys/module/kvm_intel", F_OK) == 0 ? "kvm_intel"
        : access("/sys/module/kvm_amd", F_OK) == 0 ? "kvm_amd" : "unknown");
    out("- load average when started: ");
    double load[3];
    if (getloadavg(load, 3) == 3)
        out("%.2f %.2f %.2f", load[0], load[1], load[2]);
    out("\n- date: %s\n- command: `make bench` (runs `", when);
    for (int i = 0; i < argc; i++)
        out("%s%s", i ? " " : "", argv[i]);
    out("`), %d repetitions per figure unless stated\n", cfg.reps);
    out("- QEMU: %s\n\n", cfg.qemu ? cfg.qemu : cfg.qemu_why);
}

static void find_qemu(void)
{
    static const char *const paths[] = { "/usr/bin/qemu-system-x86_64",
                                         "/usr/local/bin/qemu-system-x86_64" };
    for (size_t i = 0; i < 2; i++)
        if (access(paths[i], X_OK) == 0) {
            cfg.qemu = paths[i];
            return;
        }
    cfg.qemu_why = "qemu-system-x86_64 is not installed "
                   "(`make bench` installs Debian's qemu-system-x86 when root)";
}

static void append_notes(void)
{
    char buf[4096];
    size_t n;
    FILE *f = cfg.notes_path ? fopen(cfg.notes_path, "r") : NULL;

    if (cfg.notes_path && !f) {
        perror(cfg.notes_path);
        failures++;
    }
    while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, report);
    if (f)
        fclose(f);
}

/* Every figure runs guests: without a usable KVM device there is nothing to
 * measure, and saying so beats 29 failed runs. */
static bool kvm_unusable(void)
{
    const char *dev = getenv("KVMELF_KVM_DEVICE");

    if (!dev || !*dev)
        dev = "/dev/kvm";
    int fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        return false;
    }
    fprintf(stderr, "bench: SKIPPED: %s unusable: %s: no benchmark can run "
            "on this host\n", dev, strerror(errno));
    return true;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench [--quick] [--reps N] [--write FILE] [--notes FILE] "
            "BUILD_DIR\n");
    exit(2);
}

int main(int argc, char **argv)
{
    cfg.reps = 15;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            cfg.quick = true;
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            cfg.reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--write") == 0 && i + 1 < argc)
            cfg.write_path = argv[++i];
        else if (strcmp(argv[i], "--notes") == 0 && i + 1 < argc)
            cfg.notes_path = argv[++i];
        else
            usage();
    }
    if (i + 1 != argc || cfg.reps < 2 ||
        cfg.reps * STARTUP_REPS_FACTOR > MAX_REPS)
        usage();
    cfg.build = argv[i];
    if (cfg.quick)
        cfg.reps = 1;
    if (kvm_unusable())
        return BENCH_SKIPPED;
    path_in(cfg.kvmelf, cfg.build, "kvmelf");
    path_in(cfg.hello, cfg.build, "guests/hello.elf");
    path_in(cfg.dir, cfg.build, "bench");
    path_in(cfg.floor, cfg.dir, "floor");
    path_in(cfg.native, cfg.dir, "native-compute");
    path_in(cfg.pvh, cfg.dir, "pvh_hello.elf");
    const char *tmp = getenv("TMPDIR");
    snprintf(cfg.tmpdir, sizeof cfg.tmpdir, "%s/kvmelf-bench-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(cfg.tmpdir)) {
        perror("bench: mkdtemp");
        return 2;
    }
    find_qemu();

    char *text = NULL;
    size_t len = 0;
    report = open_memstream(&text, &len);
    out("# kvmelf performance\n\n");
    out("Generated by `make bench` (bench/bench.c); do not edit by hand. "
        "Every figure compares programs measured side by side in one run, "
        "alternating A B / B A; each is the median of the repetitions, "
        "with the interquartile range as its spread.%s\n\n",
        cfg.quick ? " QUICK RUN: one repetition, small sizes - not a "
                    "measurement." : "");
    describe_machine(argc, argv);
    fflush(report);

    bench_hello();
    bench_exits_and_output();
    bench_compute();
    bench_memory();
    bench_scaling();
    bench_files();
    bench_churn();

    out("## Targets\n\n| target | measured | met |\n|---|---|---|\n");
    for (int t = 0; t < ntargets; t++)
        out("| %s | %s | %s |\n", targets[t].what, targets[t].measured,
            targets[t].met ? "yes" : "**no**");
    out("\n");
    append_notes();
    fclose(report);
    rmdir(cfg.tmpdir);

    fputs(text, stdout);
    if (cfg.write_path) {
        FILE *f = fopen(cfg.write_path, "w");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
            perror(cfg.write_path);
            return 2;
        }
    }
    free(text);
    if (failures)
        fprintf(stderr, "bench: %d program run(s) failed\n", failures);
    return failures ? 1 : 0;
}
