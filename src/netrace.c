/* Placeholder until netrace lands (replaced by the netrace work). */
#include "cmd.h"
#include "log.h"

int netrace_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	nf_err("netrace is not available in this build yet");
	return 1;
}
