/*
 * Guest entry point.  The monitor enters here (ELF e_entry) in 64-bit mode
 * with RDI = address of struct kvmelf_boot_info and RSP 16-byte aligned at
 * the top of RAM (see <kvmelf/abi.h>).
 */
#include <kvmelf/abi.h>

	.section .text.start, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	xorl	%ebp, %ebp		/* outermost frame for backtraces */
	andq	$-16, %rsp		/* already aligned by the ABI; cheap */
	/* RDI (boot info) is passed through unchanged as the argument.
	 * The call pushes 8 bytes, so the callee sees the usual
	 * RSP % 16 == 8 of the SysV ABI. */
	call	__kvmelf_start
	/* __kvmelf_start never returns; if it did, stop here. */
1:	hlt
	jmp	1b
	.size	_start, . - _start

	.section .note.GNU-stack, "", @progbits
