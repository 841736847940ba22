/* Entry of the "external" guest: its own crt, nothing from guests/runtime. */
	.text
	.globl	_start
	.type	_start, @function
_start:
	xorl	%ebp, %ebp
	call	external_main		/* RDI (boot info) is ignored */
	movl	$0x500, %edx		/* kvmelf exit port (KVMELF_PORT_EXIT) */
	outl	%eax, %dx
1:	hlt
	jmp	1b
	.size	_start, . - _start

	.section .note.GNU-stack, "", @progbits
