/*
 * The SYSCALL entry the monitor copies to KVMELF_SYSCALL_ENTRY_ADDR (LSTAR).
 * It may run at CPL 0 (SYSCALL on hardware KVM) or still at CPL 3 (as
 * measured under kvm_pvm), so it touches no memory and needs no stack: it
 * only reports to the monitor, which performs the call and sets every
 * register itself (RIP = RCX, RFLAGS = R11, CS/SS = user), so SYSRET is
 * never used.
 *
 * `out` needs the port in DX, whose low 16 bits are the call's third
 * argument: they travel in AX, with the call number (EAX, which is all
 * Linux looks at) moved up by KVMELF_SYSCALL_NR_SHIFT (16) bits.  At the
 * report:
 *     number = (uint32_t)(RAX >> 16),  RDX = RDX[63:16] : AX.
 */
#include <kvmelf/abi.h>

    .section .rodata.kvmelf_syscall_entry, "a"
    .globl kvmelf_syscall_image
    .globl kvmelf_syscall_image_end
    .globl kvmelf_syscall_report_end
kvmelf_syscall_image:
    shlq $KVMELF_SYSCALL_NR_SHIFT, %rax
    movw %dx, %ax
    movw $KVMELF_PORT_SYSCALL, %dx
    outl %eax, %dx
kvmelf_syscall_report_end:      /* RIP at the report */
    ud2                         /* the monitor never resumes here */
kvmelf_syscall_image_end:

    .section .note.GNU-stack, "", @progbits
