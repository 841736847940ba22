/*
 * Calls into memory that is writable and so never executable (W^X):
 *   execdata        a `ret` in a .data array
 *   execdata stack  a `ret` in a local (stack) array
 * Either is an instruction-fetch #PF.
 */
#include "kvmelf.h"

typedef void fn_t(void);

/* Not const: .data, RW, no-execute. */
static unsigned char data_ret[16] = { 0xc3 };

__attribute__((noipa)) static void call(fn_t *f)
{
    f();
    puts("execdata: still alive?!");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "stack") == 0) {
        volatile unsigned char stack_ret[16] = { 0xc3 };
        puts("execdata: about to call into the stack");
        call((fn_t *)(uintptr_t)stack_ret);
    } else {
        puts("execdata: about to call into .data");
        call((fn_t *)(uintptr_t)data_ret);
    }
    return 1;
}
