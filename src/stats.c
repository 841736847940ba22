/* --stats: a few clock_gettime calls around the stages, printed at the end
 * (nothing is formatted while the guest runs). */
#include "cli.h"

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
