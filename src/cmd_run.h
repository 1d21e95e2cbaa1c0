/* What the commands' run loops share: the stop signals, the switches read
 * from the environment, the help text's tail. */
#ifndef NF_CMD_RUN_H
#define NF_CMD_RUN_H
#include <signal.h>

/* Set (to the signal's number) by SIGINT, SIGTERM or SIGHUP. */
extern volatile sig_atomic_t nf_stop_signal;
/* Catch those three without SA_RESTART (a blocked poll returns -EINTR,
 * so the loop sees the flag and detaches), and ignore SIGPIPE. */
void nf_install_stop_signals(void);
/* A switch from the environment: set, non-empty and not "0". The test
 * suites use them (NFLUX_FORCE_*) to take the fallback paths. */
int nf_env_switch(const char *name);
/* A command's --help: its usage, then where the global options are. 0. */
int nf_print_help(const char *usage);

#endif
