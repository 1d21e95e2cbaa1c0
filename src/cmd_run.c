#include "cmd_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile sig_atomic_t nf_stop_signal;

static void on_stop(int sig)
{
	nf_stop_signal = sig;
}

void nf_install_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* a closed terminal: detach as for INT */
	signal(SIGPIPE, SIG_IGN);
}

int nf_env_switch(const char *name)
{
	const char *v = getenv(name);
	return v && *v && strcmp(v, "0") != 0;
}

int nf_print_help(const char *usage)
{
	fputs(usage, stdout);
	fputs("\nGlobal options (--log-format json for JSON lines): see nflux --help\n", stdout);
	return 0;
}
