/*
 * hello for QEMU's microvm: a PVH kernel (the Xen PHYS32_ENTRY note tells
 * QEMU where to start, in 32-bit protected mode, ring 0).  Prints the same
 * line as kvmelf's hello on COM1, then ends through isa-debug-exit.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

	.section .note.pvh, "a"
	.align	4
	.long	4f - 3f			/* name size */
	.long	6f - 5f			/* desc size */
	.long	XEN_ELFNOTE_PHYS32_ENTRY
3:	.asciz	"Xen"
4:	.align	4
5:	.long	_start
6:	.align	4

	.text
	.code32
	.globl	_start
_start:
	movl	$msg, %esi
	movl	$msg_end - msg, %ecx
	movw	$COM1, %dx
	rep outsb
	xorl	%eax, %eax		/* QEMU exits with (0 << 1) | 1 = 1 */
	movw	$DEBUG_EXIT, %dx
	outl	%eax, %dx
1:	hlt
	jmp	1b

	.section .rodata
msg:	.ascii	"Hello, world!\n"
msg_end:

	.section .note.GNU-stack, "", @progbits
