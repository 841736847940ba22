/* ownidt's handlers.  Neither exception pushes an error code, so the saved
 * RIP is at (%rsp); only the flags are clobbered, and iretq restores them. */
	.text
	.globl	bp_entry
	.type	bp_entry, @function
bp_entry:			/* #BP is a trap: RIP is past the int3 */
	lock incq handled(%rip)
	iretq
	.size	bp_entry, . - bp_entry

	.globl	ud_entry
	.type	ud_entry, @function
ud_entry:			/* #UD is a fault: skip the 2-byte ud2 */
	addq	$2, (%rsp)
	lock incq handled(%rip)
	iretq
	.size	ud_entry, . - ud_entry

	.section .note.GNU-stack, "", @progbits
