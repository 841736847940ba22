/* abort [raise|exit N]: abort() (SIGABRT, status 134), raise(SIGTERM), or
 * exit(N) after output, to check statuses pass through. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("before\n");
    if (argc > 2 && strcmp(argv[1], "exit") == 0)
        exit(atoi(argv[2]));
    if (argc > 1 && strcmp(argv[1], "raise") == 0) {
        signal(SIGCHLD, SIG_IGN);
        raise(SIGCHLD);          /* ignored: goes on */
        raise(SIGTERM);
    }
    abort();
}
