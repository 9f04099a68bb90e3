/* SPDX-License-Identifier: MIT */
/*
 * signals.h - step 2: the stop signals, held.
 *
 * A signal whose default action ends the process would end it with our
 * program left attached. So every such signal is blocked from the start:
 * during setup the spine checks for a pending one before each step (a
 * signal stops setup there, with nothing attached), and the event loop
 * reads them from a signalfd. SIGKILL and signals from faults cannot be
 * held; docs/operating.md says what they leave.
 */
#ifndef SIGNALS_H
#define SIGNALS_H

#include <signal.h>

struct stop_signals {
	sigset_t set;
	int fd; /* a signalfd, readable when one is pending; -1 before signals_hold() */
};

/* Block the stop signals (and SIGPIPE) and open the signalfd. EXIT_OK or EXIT_SYSTEM. */
int signals_hold(struct stop_signals *s);

/*
 * Whether a stop signal waits. If one does, says "SIGTERM before `step`:
 * stopping; nothing was `what`" and returns 1.
 */
int signals_pending(const struct stop_signals *s, const char *step, const char *what);

void signals_close(struct stop_signals *s);

#endif
