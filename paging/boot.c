/* struct kvmelf_boot_info and the argument strings (docs/abi.md). */
#include "paging.h"

#include <string.h>

/* Lays out argv[argc + 1] (guest pointers) at KVMELF_ARGS_ADDR, then the
 * strings, then the command line (arguments joined by spaces). */
int paging_write_boot_info(const struct guest_mem *gm,
                           const struct boot_params *bp, struct kerr *err)
{
    const uint64_t area = KVMELF_ARGS_END - KVMELF_ARGS_ADDR;
    uint64_t argc = bp->argc > 0 ? (uint64_t)bp->argc : 0;
    uint64_t strings = 0;

    for (uint64_t i = 0; i < argc; i++)
        strings += strlen(bp->argv[i]) + 1;
    /* pointers + strings + command line (same bytes again, at most) */
    uint64_t need = (argc + 1) * sizeof(uint64_t) + 2 * strings + 1;
    if (need > area)
        return kerr_set(err, "arguments take %llu bytes; at most %llu fit "
                        "the guest's argument area",
                        (unsigned long long)need, (unsigned long long)area);

    struct kvmelf_boot_info *info =
        guest_mem_ptr(gm, KVMELF_BOOT_INFO_ADDR, sizeof *info);
    uint8_t *args = guest_mem_ptr(gm, KVMELF_ARGS_ADDR, need);
    if (!info || !args)
        return kerr_set(err, "guest RAM is smaller than the monitor's area");

    gpa_t str = KVMELF_ARGS_ADDR + (argc + 1) * sizeof(uint64_t);
    gpa_t cmdline = str + strings;
    uint8_t *cmd = args + (cmdline - KVMELF_ARGS_ADDR);
    for (uint64_t i = 0; i < argc; i++) {
        size_t len = strlen(bp->argv[i]);
        memcpy(args + i * sizeof(uint64_t), &str, sizeof str);
        memcpy(args + (str - KVMELF_ARGS_ADDR), bp->argv[i], len + 1);
        memcpy(cmd, bp->argv[i], len);
        cmd[len] = i + 1 < argc ? ' ' : '\0';
        cmd += len + 1;
        str += len + 1;
    }
    memset(args + argc * sizeof(uint64_t), 0, sizeof(uint64_t));
    if (argc == 0)
        *cmd = '\0';

    gpa_t heap_end = bp->ram_size - KVMELF_TOP_RESERVE;
    *info = (struct kvmelf_boot_info){
        .magic = KVMELF_BOOT_MAGIC,
        .abi_version = KVMELF_ABI_VERSION,
        .ram_size = bp->ram_size,
        .heap_start = bp->image_end > heap_end ? heap_end : bp->image_end,
        .heap_end = heap_end,
        .stack_top = paging_stack_top(bp->ram_size),
        .argc = argc,
        .argv = KVMELF_ARGS_ADDR,
        .cmdline = cmdline,
        .flags = (bp->ring0 ? KVMELF_BOOT_RING0 : 0u) |
                 (bp->stdout_tty ? KVMELF_BOOT_STDOUT_TTY : 0u) |
                 KVMELF_BOOT_WRITE_PORT,
    };
    return 0;
}
