/* SPDX-License-Identifier: MIT */
/* signals.c - step 2: the stop signals, held (signals.h). */
#include "signals.h"

#include <errno.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "messages.h"

/*
 * Every signal whose default action would end us quietly, so with the
 * program left attached: each stops the run cleanly instead.
 */
static const struct {
	unsigned char sig;
	char name[10]; /* in place: 11 bytes an entry, not 16 and a pointer's string */
} stop_signal_names[] = {
	{ SIGINT, "SIGINT" },	{ SIGTERM, "SIGTERM" },	    { SIGHUP, "SIGHUP" },
	{ SIGQUIT, "SIGQUIT" }, { SIGUSR1, "SIGUSR1" },	    { SIGUSR2, "SIGUSR2" },
	{ SIGALRM, "SIGALRM" }, { SIGVTALRM, "SIGVTALRM" }, { SIGPROF, "SIGPROF" },
	{ SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
#ifdef SIGPWR
	{ SIGPWR, "SIGPWR" },
#endif
};
#define STOP_SIGNAL_CNT (sizeof(stop_signal_names) / sizeof(stop_signal_names[0]))

int signals_hold(struct stop_signals *s)
{
	sigset_t blocked;
	size_t i;

	sigemptyset(&s->set);
	for (i = 0; i < STOP_SIGNAL_CNT; i++)
		sigaddset(&s->set, stop_signal_names[i].sig);
	/*
	 * A reader that goes away must not kill us while attached: with SIGPIPE
	 * blocked, write() fails with EPIPE instead. Blocked, not ignored: the
	 * same here, and it keeps sigaction() (700 bytes) out of the binary.
	 */
	blocked = s->set;
	sigaddset(&blocked, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &blocked, NULL) < 0) {
		report("blocking signals: %s", errno_text(errno));
		return EXIT_SYSTEM;
	}
	s->fd = fd_above_stdio(signalfd(-1, &s->set, SFD_CLOEXEC | SFD_NONBLOCK));
	if (s->fd < 0) {
		report("creating a signalfd: %s", errno_text(errno));
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

int signals_pending(const struct stop_signals *s, const char *step, const char *what)
{
	sigset_t pending;
	size_t i;

	if (s->fd < 0 || sigpending(&pending) < 0)
		return 0;
	for (i = 0; i < STOP_SIGNAL_CNT; i++)
		if (sigismember(&pending, stop_signal_names[i].sig) == 1 &&
		    sigismember(&s->set, stop_signal_names[i].sig) == 1) {
			report("%s before %s: stopping; nothing was %s", stop_signal_names[i].name,
			       step, what);
			return 1;
		}
	return 0;
}

void signals_close(struct stop_signals *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
