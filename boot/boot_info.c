/* struct kvmelf_boot_info (docs/abi.md). */
#include "boot/boot.h"

int boot_write_info(const struct guest_mem *gm, const struct boot_params *bp,
                    struct kerr *err)
{
    const struct guest_layout *l = bp->layout;
    struct kvmelf_boot_info *info =
        guest_mem_ptr(gm, KVMELF_BOOT_INFO_ADDR, sizeof *info);

    if (!info)
        return kerr_set(err, "guest RAM is smaller than the monitor's area");
    *info = (struct kvmelf_boot_info){
        .magic = KVMELF_BOOT_MAGIC,
        .abi_version = KVMELF_ABI_VERSION,
        .ram_size = l->ram_size,
        .heap_start = l->heap_start,
        .heap_end = l->guard,
        .stack_top = l->stack_top,
        .argc = bp->argc,
        .argv = bp->argv,
        .cmdline = bp->cmdline,
        .flags = (bp->ring0 ? KVMELF_BOOT_RING0 : 0u) |
                 (bp->stdout_tty ? KVMELF_BOOT_STDOUT_TTY : 0u) |
                 KVMELF_BOOT_WRITE_PORT,
    };
    return 0;
}
