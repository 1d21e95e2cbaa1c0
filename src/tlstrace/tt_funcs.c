#include "tt_funcs.h"

static const struct tt_func_info funcs[TT_NFUNCS] = {
	[TT_SSL_WRITE] = { "SSL_write", "tt_ssl_write", TT_PROG_RET, TT_LIB_OPENSSL, 0 },
	[TT_SSL_READ] = { "SSL_read", "tt_ssl_read", TT_PROG_RET, TT_LIB_OPENSSL, 0 },
	[TT_SSL_WRITE_EX] = { "SSL_write_ex", "tt_ssl_write_ex", TT_PROG_RET, TT_LIB_OPENSSL, 0 },
	[TT_SSL_READ_EX] = { "SSL_read_ex", "tt_ssl_read_ex", TT_PROG_RET, TT_LIB_OPENSSL, 0 },
	[TT_SSL_PEEK] = { "SSL_peek", "tt_ssl_peek", TT_PROG_RET, TT_LIB_OPENSSL, 0 },
	[TT_SSL_PEEK_EX] = { "SSL_peek_ex", "tt_ssl_peek_ex", TT_PROG_RET, TT_LIB_OPENSSL, 0 },
	[TT_BSSL_WRITE] = { "SSL_write", "tt_bssl_write", TT_PROG_RET, TT_LIB_BORINGSSL, 0 },
	[TT_BSSL_READ] = { "SSL_read", "tt_bssl_read", TT_PROG_RET, TT_LIB_BORINGSSL, 0 },
	[TT_BSSL_PEEK] = { "SSL_peek", "tt_bssl_peek", TT_PROG_RET, TT_LIB_BORINGSSL, 0 },
	[TT_GNUTLS_SEND] = { "gnutls_record_send", "tt_gnutls_send", TT_PROG_RET, TT_LIB_GNUTLS, 0 },
	[TT_GNUTLS_RECV] = { "gnutls_record_recv", "tt_gnutls_recv", TT_PROG_RET, TT_LIB_GNUTLS, 0 },
	[TT_PR_WRITE] = { "PR_Write", "tt_pr_write", TT_PROG_NSS_RET, TT_LIB_NSS, 0 },
	[TT_PR_READ] = { "PR_Read", "tt_pr_read", TT_PROG_NSS_RET, TT_LIB_NSS, 0 },
	[TT_PR_SEND] = { "PR_Send", "tt_pr_send", TT_PROG_NSS_RET, TT_LIB_NSS, 0 },
	[TT_PR_RECV] = { "PR_Recv", "tt_pr_recv", TT_PROG_NSS_RET, TT_LIB_NSS, 0 },
	[TT_PR_WRITEV] = { "PR_Writev", "tt_pr_writev", "tt_nss_writev_ret", TT_LIB_NSS, 0 },
	[TT_GO_WRITE] = { "crypto/tls.(*Conn).Write", "tt_go_write", TT_PROG_GO_RET, TT_LIB_GO, 1 },
	[TT_GO_READ] = { "crypto/tls.(*Conn).Read", "tt_go_read", TT_PROG_GO_RET, TT_LIB_GO, 1 },
	[TT_NSS_IMPORT] = { "SSL_ImportFD", 0, "tt_nss_import", TT_LIB_NSS, 0 },
};

static const char *const lib_names[TT_NLIBS] = {
	[TT_LIB_OPENSSL] = "openssl",
	[TT_LIB_BORINGSSL] = "boringssl",
	[TT_LIB_GNUTLS] = "gnutls",
	[TT_LIB_NSS] = "nss",
	[TT_LIB_GO] = "go",
};

const struct tt_func_info *tt_func_info(uint32_t func)
{
	return func < TT_NFUNCS ? &funcs[func] : 0;
}

const char *tt_func_name(uint32_t func)
{
	return func < TT_NFUNCS ? funcs[func].sym : "?";
}

const char *tt_lib_name(uint32_t lib)
{
	return lib < TT_NLIBS ? lib_names[lib] : "?";
}

const char *tt_func_lib_name(uint32_t func)
{
	return func < TT_NFUNCS ? lib_names[funcs[func].lib] : "?";
}

/* Exported by BoringSSL's libssl and by no OpenSSL release. */
static const char *const boringssl_only[] = {
	"SSL_CTX_set_custom_verify",
	"SSL_set_custom_verify",
	"SSL_CTX_set_grease_enabled",
	"SSL_get_curve_id",
};

static int has_any(const struct nf_host_elf *h, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (nf_host_elf_has(h, names[i]))
			return 1;
	return 0;
}

unsigned tt_file_libs(const struct nf_host_elf *h)
{
	static const char *const ssl[] = { "SSL_write", "SSL_read" };
	static const char *const gnutls[] = { "gnutls_record_send", "gnutls_record_recv" };
	static const char *const nspr[] = { "PR_Write", "PR_Read", "SSL_ImportFD" };
	static const char *const go[] = { "crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).Read" };
	unsigned libs = 0;
	if (has_any(h, ssl, 2))
		libs |= has_any(h, boringssl_only, sizeof(boringssl_only) / sizeof(boringssl_only[0]))
				? TT_LIB_BIT(TT_LIB_BORINGSSL)
				: TT_LIB_BIT(TT_LIB_OPENSSL);
	if (has_any(h, gnutls, 2))
		libs |= TT_LIB_BIT(TT_LIB_GNUTLS);
	if (has_any(h, nspr, 3))
		libs |= TT_LIB_BIT(TT_LIB_NSS);
	if (has_any(h, go, 2))
		libs |= TT_LIB_BIT(TT_LIB_GO);
	return libs;
}
