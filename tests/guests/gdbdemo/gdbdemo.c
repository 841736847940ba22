/*
 * gdbdemo [MODE]: a freestanding guest for a real gdb to debug
 * (tests/e2e/test_gdbstub.c, the session in docs/writing-guests.md), built
 * -O0 -g so that every variable lives in memory and every line is a
 * stop.  The tests name functions, variables and the text of lines, never
 * line numbers.
 *   (none)  main -> outer -> inner, add, count_up (counter 10, 20, 30),
 *           then prints the globals (a test may have changed them); 0
 *   spin    prints "spinning" and spins until spin is set to 0 (Ctrl-C)
 *   crash   writes through a NULL pointer (SIGSEGV)
 *   exit7   returns 7
 */
#include "kvmelf.h"

long table[4] = { 0x1111, 0x2222, 0x3333, 0x4444 };
int counter;
int answer = 42;
volatile int spin = 1;

/* volatile: gcc cannot see that it is NULL, so it emits the store. */
static int *volatile null_ptr;

int inner(int depth)
{
    int doubled = depth * 2;
    return doubled + 1;
}

int outer(int x)
{
    int r = inner(x + 1);
    return r * 10;
}

int add(int a, int b)
{
    int sum = a + b;
    return sum;
}

void count_up(void)
{
    for (int i = 1; i <= 3; i++)
        counter = i * 10;
}

static int spin_until_told(void)
{
    printf("spinning\n");
    kvmelf_flush();         /* stdout is fully buffered on a pipe */
    while (spin)
        __asm__ volatile("pause");
    printf("spun\n");
    return 3;
}

static int crash(void)
{
    printf("crashing\n");
    *null_ptr = 1;
    printf("still alive?!\n");
    return 1;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    int local = 5;

    if (strcmp(mode, "spin") == 0)
        return spin_until_told();
    if (strcmp(mode, "crash") == 0)
        return crash();
    if (strcmp(mode, "exit7") == 0) {
        printf("exiting with 7\n");
        return 7;
    }
    int v = outer(local);
    int s = add(local, 2);
    count_up();
    printf("outer %d add %d counter %d answer %d\n", v, s, counter, answer);
    printf("table %lx %lx %lx %lx\n", table[0], table[1], table[2], table[3]);
    return 0;
}
