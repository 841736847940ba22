/*
 * The ring-0 exception stubs the monitor copies to KVMELF_STUB_ADDR.
 * Assembled into the monitor as data; the code is position independent
 * (only relative jumps), so the bytes work wherever they are copied.
 *
 * Vector v's stub sits at v * KVMELF_STUB_STRIDE and pushes a dummy error
 * code when the CPU does not push one, then v, so every report has the
 * layout of struct kvmelf_trap_frame.  The monitor reads the frame during
 * the port exit and may edit the saved RIP; iretq then resumes the guest.
 */
#include <kvmelf/abi.h>


    .section .rodata.kvmelf_stub, "a"
    .globl kvmelf_stub_image
    .globl kvmelf_stub_image_end
    .balign 16
kvmelf_stub_image:

.macro vector_stub v
    .org kvmelf_stub_image + \v * KVMELF_STUB_STRIDE, 0xcc
    .if \v >= 32
    pushq $0
    .elseif ((KVMELF_ERRCODE_VECTORS >> \v) & 1) == 0
    pushq $0
    .endif
    pushq $\v
    jmp stub_common
.endm

    .altmacro
    .set vec, 0
    .rept KVMELF_IDT_VECTORS
    vector_stub %vec
    .set vec, vec + 1
    .endr
    .noaltmacro

    .org kvmelf_stub_image + KVMELF_IDT_VECTORS * KVMELF_STUB_STRIDE, 0xcc
stub_common:
    pushq %rax
    pushq %rdx
    movw $KVMELF_PORT_TRAP, %dx
    outl %eax, %dx           /* the monitor reads the frame at RSP */
    popq %rdx
    popq %rax
    addq $16, %rsp           /* vector and error code */
    iretq
kvmelf_stub_image_end:

    .section .note.GNU-stack, "", @progbits
