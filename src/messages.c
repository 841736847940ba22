/* kvmelf's own messages: the one format, where they go, and the one
 * stop-bounded write that ends a run's (console/console.h). */
#include "cli.h"
#include "console/console.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* kvmelf's messages go to stderr, except after a run: see
 * messages_collect(). */
static FILE *collected;
static char *collected_text;
static size_t collected_len;

FILE *msgs(void)
{
    return collected ? collected : stderr;
}

/* Prints "kvmelf: [what: ]msg" - the one format every error uses. */
int cli_fail(int status, const char *what, const char *msg)
{
    if (what)
        fprintf(msgs(), "kvmelf: %s: %s\n", what, msg);
    else
        fprintf(msgs(), "kvmelf: %s\n", msg);
    return status;
}

/* What kvmelf says after a run (the final line, a crash report, --regs,
 * --stats) is collected and written at the end as one stop-bounded write
 * (common/stop.h): a run with --timeout, or one a signal stopped or will
 * stop, must end within its grace even when stderr is a pipe nobody reads
 * (2>&1 into a stuck reader).  Without memory for it, messages go to
 * stderr as before. */
void messages_collect(void)
{
    if (!collected)
        collected = open_memstream(&collected_text, &collected_len);
}

/* A closed stderr loses the text, never the status (SIGPIPE is ignored). */
void messages_write(void)
{
    size_t done;

    if (!collected)
        return;
    int closed = fclose(collected);
    collected = NULL;
    if (closed == 0)
        (void)console_write_all(STDERR_FILENO, collected_text, collected_len,
                                &done);
    free(collected_text);
    collected_text = NULL;
}

int cli_stdout_status(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    return errno == EPIPE ? STATUS_SIGNAL_BASE + SIGPIPE : STATUS_CANNOT_RUN;
}
