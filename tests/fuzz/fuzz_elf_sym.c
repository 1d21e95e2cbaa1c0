/* Host executables and shared libraries: nf_host_elf_open, every function
 * symbol through nf_host_elf_next, each looked up again by name (plain,
 * name@V and name@@V), a few OpenSSL names, and file offsets. */
#include <stdio.h>
#include "fuzz.h"
#include "parse/elf_sym.h"

static void lookup(const struct nf_host_elf *h, const char *name)
{
	struct nf_elf_sym_info info;
	if (nf_host_elf_lookup(h, name, &info) == 0) {
		uint64_t off;
		nf_host_elf_file_off(h, info.vaddr, info.size, &off);
	}
	nf_host_elf_has(h, name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_quiet();
	struct nf_host_elf h;
	if (nf_host_elf_open(&h, data, size) != 0)
		return 0;
	struct nf_host_sym s;
	size_t pos = 0;
	char name[256];
	for (int n = 0; n < 4096 && nf_host_elf_next(&h, &pos, &s) == 1; n++) {
		int len = s.name_len < 200 ? (int)s.name_len : 200;
		snprintf(name, sizeof(name), "%.*s", len, s.name);
		lookup(&h, name);
		if (*s.version) {
			snprintf(name, sizeof(name), "%.*s%s%.40s", len, s.name,
				 s.hidden ? "@" : "@@", s.version);
			lookup(&h, name);
		}
		uint64_t off;
		nf_host_elf_file_off(&h, s.info.vaddr, s.info.size, &off);
	}
	static const char *const names[] = { "SSL_write", "SSL_read@@OPENSSL_3.0.0",
					     "SSL_read_ex@OPENSSL_3.0.0", "main", "", "@", "@@" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		lookup(&h, names[i]);
	return 0;
}
