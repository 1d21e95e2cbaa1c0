/* tlstrace is not in this build yet: say so plainly instead of pretending. */
#include "cmd.h"
#include "log.h"

int tlstrace_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	nf_err("tlstrace is not available in this build yet");
	return 1;
}
