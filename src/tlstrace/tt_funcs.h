/* The TLS libraries tlstrace knows and the functions it probes in each:
 * the symbol, the entry program, how the call returns. One table serves
 * the kernel side's loader (tt_kern), discovery and the formats. */
#ifndef NF_TT_FUNCS_H
#define NF_TT_FUNCS_H
#include <stdint.h>
#include "tlstrace.h"
#include "parse/elf_sym.h"

enum tt_lib {
	TT_LIB_OPENSSL,
	TT_LIB_BORINGSSL,
	TT_LIB_GNUTLS,
	TT_LIB_NSS,
	TT_LIB_GO,
	TT_NLIBS
};

#define TT_LIB_BIT(l) (1u << (l))

struct tt_func_info {
	const char *sym;        /* the symbol probed */
	const char *entry;      /* its entry program in tlstrace.bpf.c, or NULL */
	const char *ret;        /* its return program: a uretprobe, or for Go
				 * an uprobe on each RET instruction (go) */
	uint8_t lib;            /* enum tt_lib */
	uint8_t go;
};

/* NULL for a value out of range. */
const struct tt_func_info *tt_func_info(uint32_t func);
/* "SSL_write", "gnutls_record_recv", ...; "?" for an unknown value. */
const char *tt_func_name(uint32_t func);
/* "openssl", "boringssl", "gnutls", "nss", "go"; "?" when unknown. */
const char *tt_lib_name(uint32_t lib);
/* The lib key of a call's function. */
const char *tt_func_lib_name(uint32_t func);
/* The TLS libraries a file holds, by its symbols (TT_LIB_BIT mask):
 * OpenSSL or BoringSSL (SSL_read/SSL_write, BoringSSL told by symbols
 * OpenSSL lacks), GnuTLS, NSPR (for NSS) and Go's crypto/tls. */
unsigned tt_file_libs(const struct nf_host_elf *h);

#endif
