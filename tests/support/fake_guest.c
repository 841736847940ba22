#include "fake_guest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fake_guest_image(const struct guest_mem *gm, struct cpu_tables *tables,
                     struct linux_config *cfg, struct kerr *err)
{
    static const struct segment_perm segs[] = {
        { FAKE_VM_TEXT, FAKE_VM_TEXT + FAKE_VM_PAGE, PAGE_EXEC, 0 },
        { FAKE_VM_USER_DATA, FAKE_VM_USER_DATA + FAKE_VM_PAGE, PAGE_WRITE, 1 },
    };
    static struct guest_layout layout;
    const struct paging_config pcfg = {
        .layout = &layout, .nx = true, .segs = segs,
        .nsegs = sizeof segs / sizeof segs[0],
    };
    struct memory_map map;

    if (paging_layout(FAKE_VM_RAM, 0, &layout, err) < 0)
        return -1;
    paging_layout_set_heap(&layout, FAKE_VM_USER_DATA + FAKE_VM_PAGE);
    memset(gm->host, 0, gm->size);   /* the last process's tables too */
    if (paging_memory_map(&pcfg, &map, err) < 0 ||
        boot_setup(gm, &pcfg, &map, tables, err) < 0)
        return -1;
    *cfg = (struct linux_config){
        .heap_start = layout.heap_start, .heap_end = layout.guard,
        .stack_bottom = layout.stack_bottom, .stack_size = layout.stack_size,
        .pt = { .cr3 = tables->cr3,
                .next_table = KVMELF_PT_ADDR + tables->page_table_bytes,
                .nx = true },
    };
    return 0;
}

static void record_warning(void *ctx, const char *msg)
{
    struct fake_guest *fg = ctx;
    fg->warnings++;
    snprintf(fg->last_warning, sizeof fg->last_warning, "%s", msg);
}

struct fake_guest *fake_guest_new(int out_fd)
{
    static struct fake_guest fg;
    struct linux_config cfg;

    linux_process_free(fg.proc);
    fg.proc = NULL;
    if (!fg.gm.host && guest_mem_init(&fg.gm, FAKE_VM_RAM, &fg.err) < 0)
        abort();
    for (int i = 0; i < 2; i++)
        if (fg.pipe[i] > 0)
            close(fg.pipe[i]);
    fg.pipe[0] = fg.pipe[1] = -1;
    if ((out_fd < 0 && pipe(fg.pipe) < 0) ||
        fake_guest_image(&fg.gm, &fg.tables, &cfg, &fg.err) < 0 ||
        !(fg.proc = linux_process_new(&cfg))) {
        fprintf(stderr, "fake_guest: %s\n", fg.err.msg);
        abort();
    }
    fg.warnings = 0;
    fg.last_warning[0] = '\0';
    console_init(&fg.console, out_fd < 0 ? fg.pipe[1] : out_fd, 0,
                 record_warning, &fg);
    fg.console.input_eof = true;     /* stdin is not the test's */
    fg.g = (struct linux_guest){ .gm = &fg.gm, .cr3 = fg.tables.cr3,
                                 .console = &fg.console };
    return &fg;
}

int fake_guest_setup(void **state)
{
    *state = fake_guest_new(-1);
    return 0;
}

int fake_guest_teardown(void **state)
{
    struct fake_guest *fg = *state;

    linux_process_free(fg->proc);
    fg->proc = NULL;
    return 0;
}

enum linux_result fake_guest_call(struct fake_guest *fg, unsigned nr,
                                  const uint64_t args[6],
                                  struct linux_call *call)
{
    *call = (struct linux_call){ .nr = nr };
    memcpy(call->args, args, sizeof call->args);
    return linux_syscall(fg->proc, &fg->g, call, &fg->err);
}
