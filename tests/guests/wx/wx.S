/* One segment that asks for write+execute (see wx.ld): kvmelf refuses it
 * unless --allow-wx is given; then it exits 0 through the exit port. */
    .section .wxtext, "awx", @progbits
    .globl _start
_start:
    movl $0, %eax
    movw $0x500, %dx
    outl %eax, %dx
    hlt
    .section .note.GNU-stack, "", @progbits
