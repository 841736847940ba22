/*
 * Stop requests: SIGINT, SIGTERM and SIGALRM (the --timeout timer, or one
 * sent from outside), and the deadlines they put on writes that may block.
 *
 * stop_install() catches the three signals until the process ends and
 * ignores SIGPIPE.  Nothing restores the defaults: a signal that lands
 * after the guest ended (during the final flushes, a crash report,
 * --regs, the teardown) must not kill kvmelf, because the guest's status
 * and report stand (docs/security.md).  A closed stdout or stderr shows as
 * EPIPE, never as death by SIGPIPE.
 *
 * Two phases:
 * - While the guest runs, a stop signal ends the run: the run loop and
 *   every wait inside a system call look at stop_requested(), the handler
 *   sets the registered kick flag (kvm_run.immediate_exit), and a write
 *   that may block gives up as soon as any signal lands during it.
 * - Once the run ended (stop_run_ended()), writes go on until they are
 *   done, unless a stop is pending: a signal came (before or after the
 *   end), or the run was bounded by --timeout.  Then each write gets
 *   STOP_GRACE_SEC from when it started or from the signal, whichever is
 *   later, and a repeating timer makes sure a write blocked on a reader
 *   that never reads returns to look at the clock.
 */
#ifndef KVMELF_COMMON_STOP_H
#define KVMELF_COMMON_STOP_H

#include "common/common.h"

#include <stdbool.h>
#include <stdint.h>

/* How long a final write may block once a stop is pending. */
#define STOP_GRACE_SEC 1.0

/* Idempotent; async-signal-safe handlers, no SA_RESTART (a blocked
 * write(2) must return EINTR). */
void stop_install(void);

/* The first stop signal caught (0 if none).  The first reason wins: a
 * timeout that fires after a ^C is still the ^C. */
int stop_first_signal(void);
bool stop_requested(void);
/* Every signal caught, the repeating timer's included. */
unsigned stop_ticks(void);

/* The handler sets *flag = 1 on every signal (NULL: none). */
void stop_set_kick(volatile uint8_t *flag);

/* --timeout: SIGALRM after seconds (<= 0: no timer). */
int stop_start_timeout(double seconds, struct kerr *err);

/* The guest has ended (or never ran): the second phase begins.  bounded:
 * the run had --timeout, so its end must not wait on a stuck reader. */
void stop_run_ended(bool bounded);
bool stop_after_run(void);

/* One write that may block: begin it, then ask after every short write
 * or EINTR whether to give up. */
struct stop_attempt {
    unsigned ticks;
    uint64_t start_ns;
};
void stop_attempt_begin(struct stop_attempt *a);
bool stop_attempt_over(const struct stop_attempt *a);

/* For the fuzzer: a stop as if sig had come, without a signal (so every
 * wait in a system call ends at once). */
void stop_request_for_test(int sig);

/* For tests: back to the state before stop_install (handlers stay). */
void stop_reset_for_test(void);

#endif
