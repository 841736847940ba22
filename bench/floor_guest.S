/*
 * The floor program's guest: 64-bit ring-3 code copied to FLOOR_CODE_GPA.
 * RDI = what to do (FLOOR_HELLO / FLOOR_OUTS / FLOOR_REPOUTS), RSI = count.
 * Port numbers are kvmelf's, so both monitors see the same exits.
 */
#include <kvmelf/abi.h>
#include "floor.h"

	.section .rodata, "a"
	.globl	floor_guest_code, floor_guest_end
	.code64
floor_guest_code:
	cmpq	$FLOOR_HELLO, %rdi
	je	hello
	cmpq	$FLOOR_OUTS, %rdi
	je	outs
	/* FLOOR_REPOUTS: one string instruction over RSI bytes */
	movq	%rsi, %rcx
	movq	$FLOOR_DATA_GPA, %rsi
	movw	$KVMELF_PORT_COM1, %dx
	rep outsb
	jmp	done
outs:	movq	%rsi, %rcx
	movw	$KVMELF_PORT_COM1, %dx
	movb	$'x', %al
1:	outb	%al, %dx
	decq	%rcx
	jnz	1b
	jmp	done
	/* The same bytes kvmelf's hello prints, in one exit as its runtime
	 * does (one descriptor write) */
hello:	movl	$FLOOR_DESC_GPA, %eax
	movw	$KVMELF_PORT_WRITE, %dx
	outl	%eax, %dx
done:	xorl	%eax, %eax
	movw	$KVMELF_PORT_EXIT, %dx
	outl	%eax, %dx
	hlt
floor_guest_end:

	.section .note.GNU-stack, "", @progbits
