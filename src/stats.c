/* --stats: a few clock_gettime calls around the stages, printed at the end
 * (nothing is formatted while the guest runs). */
#include "cli.h"
#include "linux/linux.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t clock_ns(clockid_t id)
{
    struct timespec t;

    if (clock_gettime(id, &t) < 0)
        return 0;
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void stats_start(struct run_stats *stats)
{
    if (!stats)
        return;
    memset(stats, 0, sizeof *stats);
    stats->cpu_before_main_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    stats->at[STAT_MAIN] = clock_ns(CLOCK_MONOTONIC);
}

void stats_mark(struct run_stats *stats, enum stat_point point)
{
    if (stats)
        stats->at[point] = clock_ns(CLOCK_MONOTONIC);
}

void stats_run_result(struct run_stats *stats, uint64_t first_run_ns,
                      uint64_t exits)
{
    if (!stats)
        return;
    stats->at[STAT_FIRST_EXIT] = first_run_ns;
    stats->exits = exits;
}

static const char *const stage_names[STAT_COUNT] = {
    [STAT_LOADED] = "ELF load",
    [STAT_VM] = "VM creation",
    [STAT_TABLES] = "guest RAM + page tables",
    [STAT_IMAGE] = "ELF copy + boot info",
    [STAT_VCPU] = "vCPU creation + setup",
    [STAT_FIRST_EXIT] = "first KVM_RUN",
    [STAT_RAN] = "run",
    [STAT_REPORTED] = "reports",
    [STAT_END] = "teardown",
};

static const char *const kind_names[EXK_COUNT] = {
    [EXK_SYSCALL] = "system call",
    [EXK_CONSOLE] = "COM1 / debug console",
    [EXK_WRITE] = "bulk write",
    [EXK_EXIT_PORT] = "exit port",
    [EXK_TRAP] = "exception report",
    [EXK_OTHER_PORT] = "other port",
    [EXK_HLT] = "HLT",
    [EXK_SIGNAL] = "interrupted (signal)",
    [EXK_OTHER] = "other (MMIO, shutdown...)",
};

#define TOP_SYSCALLS 8

/* The TOP_SYSCALLS most made system calls, most first, on one line. */
static void print_syscalls(FILE *f, const struct exit_stats *x)
{
    bool taken[EXIT_STATS_SYSCALLS] = { false };
    const char *sep = "";

    fprintf(f, "kvmelf: stats:   system calls, most made first:");
    for (int n = 0; n < TOP_SYSCALLS; n++) {
        unsigned best = EXIT_STATS_SYSCALLS;
        for (unsigned nr = 0; nr < EXIT_STATS_SYSCALLS; nr++)
            if (!taken[nr] && x->syscalls[nr] &&
                (best == EXIT_STATS_SYSCALLS ||
                 x->syscalls[nr] > x->syscalls[best]))
                best = nr;
        if (best == EXIT_STATS_SYSCALLS)
            break;
        taken[best] = true;
        const char *name = linux_syscall_name(best);
        if (name)
            fprintf(f, "%s %s %u", sep, name, x->syscalls[best]);
        else
            fprintf(f, "%s #%u %u", sep, best, x->syscalls[best]);
        sep = ",";
    }
    if (x->syscalls_beyond)
        fprintf(f, "%s numbers >= %d: %llu", sep, EXIT_STATS_SYSCALLS,
                (unsigned long long)x->syscalls_beyond);
    fputc('\n', f);
}

/* The run's exits by kind: how many, and kvmelf's time on them. */
static void print_exit_kinds(FILE *f, const struct exit_stats *x)
{
    fprintf(f, "kvmelf: stats:   %-26s %8s %12s\n", "exits by kind", "count",
            "kvmelf's ms");
    for (int k = 0; k < EXK_COUNT; k++)
        if (x->count[k])
            fprintf(f, "kvmelf: stats:   %-26s %8llu %9.3f ms\n",
                    kind_names[k], (unsigned long long)x->count[k],
                    (double)x->handler_ns[k] / 1e6);
    if (x->count[EXK_SYSCALL])
        print_syscalls(f, x);
    fprintf(f, "kvmelf: stats:   %-26s %8s %9.3f ms (the guest, and KVM's "
            "exits)\n", "in KVM_RUN", "", (double)x->in_kvm_run_ns / 1e6);
}

/* One line per stage that was reached: its duration since the previous
 * one reached, in milliseconds. */
void stats_print(FILE *f, const struct run_stats *stats)
{
    if (!stats)
        return;
    fprintf(f, "kvmelf: stats: %-24s %9.3f ms (CPU time)\n", "exec to main",
            (double)stats->cpu_before_main_ns / 1e6);
    uint64_t prev = stats->at[STAT_MAIN];
    for (int p = STAT_MAIN + 1; p < STAT_COUNT; p++) {
        if (!stats->at[p] || stats->at[p] < prev)
            continue;
        fprintf(f, "kvmelf: stats: %-24s %9.3f ms", stage_names[p],
                (double)(stats->at[p] - prev) / 1e6);
        if (p == STAT_TABLES)
            fprintf(f, " (page tables: %llu bytes)",
                    (unsigned long long)stats->page_table_bytes);
        if (p == STAT_RAN)
            fprintf(f, " (%llu exits)", (unsigned long long)stats->exits);
        fputc('\n', f);
        if (p == STAT_RAN)
            print_exit_kinds(f, &stats->by_kind);
        prev = stats->at[p];
    }
    if (stats->at[STAT_END])
        fprintf(f, "kvmelf: stats: %-24s %9.3f ms (main to end)\n", "total",
                (double)(stats->at[STAT_END] - stats->at[STAT_MAIN]) / 1e6);
    if (stats->files)
        fputs(stats->files, f);
}

void stats_files(struct run_stats *stats, const struct files_report *r)
{
    size_t len;

    if (!stats)
        return;
    free(stats->files);
    stats->files = NULL;
    FILE *f = open_memstream(&stats->files, &len);
    if (!f)
        return;
    print_files(f, "kvmelf: stats: files: ", r);
    if (fclose(f) != 0) {
        free(stats->files);
        stats->files = NULL;
    }
}

void stats_free(struct run_stats *stats)
{
    if (stats) {
        free(stats->files);
        stats->files = NULL;
    }
}
