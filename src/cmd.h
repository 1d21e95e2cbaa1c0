/* Subcommands. Each takes argv after global options were removed, with
 * argv[0] = the subcommand name, and returns the process exit status. */
#ifndef NF_CMD_H
#define NF_CMD_H

int netrace_main(int argc, char **argv);
int tlstrace_main(int argc, char **argv);

/* Shared usage text of the global options. */
extern const char nf_global_usage[];

#endif
