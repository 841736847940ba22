/* C side of the guest entry: boot info check, main, exit. */
#include "kvmelf.h"

/* Defined by the guest program.  Not in kvmelf.h so that a guest may also
 * write `int main(void)`; the extra arguments are harmless in the SysV ABI. */
int main(int argc, char **argv);

void __kvmelf_start(const struct kvmelf_boot_info *bi) __attribute__((noreturn));

static const struct kvmelf_boot_info *boot_info;

const struct kvmelf_boot_info *kvmelf_boot_info(void)
{
    return boot_info;
}

void exit(int status)
{
    outl(KVMELF_PORT_EXIT, (uint32_t)status);
    /* Not reached: the monitor stops the VM on the write above.  A hlt also
     * ends the guest, so this loop is only a last resort. */
    for (;;)
        __asm__ volatile("hlt");
}

void __kvmelf_start(const struct kvmelf_boot_info *bi)
{
    if (bi == NULL || bi->magic != KVMELF_BOOT_MAGIC) {
        puts("kvmelf runtime: no boot info (bad magic)");
        exit(127);
    }
    if (bi->abi_version != KVMELF_ABI_VERSION) {
        printf("kvmelf runtime: ABI version %u, built for %u\n",
               bi->abi_version, KVMELF_ABI_VERSION);
        exit(127);
    }
    boot_info = bi;
    exit(main((int)bi->argc, (char **)(uintptr_t)bi->argv));
}
