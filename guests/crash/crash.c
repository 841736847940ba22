/*
 * Crashes on purpose so the monitor's fault reporting can be seen:
 *   crash            read through a NULL pointer (#PF)
 *   crash ud2        invalid opcode (#UD)
 *   crash div0       integer division by zero (#DE)
 *   crash write-null write through a NULL pointer (#PF)
 */
#include "kvmelf.h"

/* volatile: gcc cannot see that it is NULL, so it emits a real access
 * instead of its own trap for a known NULL dereference. */
static int *volatile null_ptr;

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "null";

    if (strcmp(what, "null") == 0) {
        puts("crash: about to dereference NULL");
        printf("crash: read %d\n", *(volatile int *)null_ptr);
    } else if (strcmp(what, "ud2") == 0) {
        puts("crash: about to execute ud2");
        __asm__ volatile("ud2");
    } else if (strcmp(what, "div0") == 0) {
        volatile int num = 1, den = 0;
        puts("crash: about to divide by zero");
        printf("crash: quotient %d\n", num / den);
    } else if (strcmp(what, "write-null") == 0) {
        puts("crash: about to write to NULL");
        *(volatile int *)null_ptr = 42;
    } else {
        printf("crash: unknown mode '%s' (null, ud2, div0, write-null)\n", what);
        return 2;
    }
    puts("crash: still alive?!");
    return 1;
}
