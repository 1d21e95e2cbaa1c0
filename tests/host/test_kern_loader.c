/* Root: the kernel part of the loader on the running kernel. Loads the
 * fixtures, runs them with BPF_PROG_TEST_RUN and checks from userspace what
 * they wrote: global data, subprogram result, maps, ring and perf records,
 * CO-RE against vmlinux, verifier errors, fd hygiene, feature probes. */
#include "t.h"
#include "t_load.h"
#include "kern/load.h"
#include "log.h"
#include "kern/kern_util.h"
#include "read/reader.h"
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <sys/utsname.h>
#include <unistd.h>

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int parse_fixture(struct nf_obj *obj, const char *name)
{
	size_t len;
	void *data = t_read_file(t_fixture(name), &len);
	if (!data) {
		printf("# cannot read %s\n", t_fixture(name));
		return -ENOENT;
	}
	memset(obj, 0, sizeof(*obj));
	int err = nf_obj_parse(obj, data, len);
	free(data);
	if (err)
		printf("# parse %s: %s\n", name, nf_lasterr());
	return err;
}

/* Offset of variable var in the DATASEC sec of the object's BTF, or -1. */
static long var_offset(const struct nf_btf *btf, const char *sec, const char *var)
{
	int id = btf ? nf_btf_find(btf, sec, BTF_KIND_DATASEC) : -1;
	if (id <= 0)
		return -1;
	const struct btf_type *t = nf_btf_type(btf, (uint32_t)id);
	const struct btf_var_secinfo *vs = (const void *)(t + 1);
	for (uint32_t i = 0; i < BTF_INFO_VLEN(t->info); i++) {
		const struct btf_type *v = nf_btf_type(btf, vs[i].type);
		const char *name = v ? nf_btf_str(btf, v->name_off) : NULL;
		if (name && strcmp(name, var) == 0)
			return vs[i].offset;
	}
	return -1;
}

/* Read the variable var (size bytes) of internal map sec from the kernel. */
static int read_var(const struct nf_bpf *b, const char *sec, const char *var, void *out,
		    size_t size)
{
	long off = var_offset(b->obj->btf, sec, var);
	int fd = nf_bpf_map_fd(b, sec);
	uint8_t value[4096];
	uint32_t key = 0;
	if (off < 0 || fd < 0 || nf_map_lookup(fd, &key, value) < 0)
		return -1;
	memcpy(out, value + off, size);
	return 0;
}

static uint32_t read_u32(const struct nf_bpf *b, const char *sec, const char *var)
{
	uint32_t v = 0xffffffff;
	read_var(b, sec, var, &v, sizeof(v));
	return v;
}

static uint64_t read_u64(const struct nf_bpf *b, const char *sec, const char *var)
{
	uint64_t v = UINT64_MAX;
	read_var(b, sec, var, &v, sizeof(v));
	return v;
}

static int run(const struct nf_bpf *b, const char *prog)
{
	uint8_t pkt[64] = { 0 };
	uint32_t ret = 0xffff;
	int fd = nf_bpf_prog_fd(b, prog);
	int err = fd < 0 ? fd : nf_prog_test_run(fd, pkt, sizeof(pkt), &ret);
	return err < 0 ? err : (int)ret;
}

struct records {
	int n;
	size_t len;
	uint8_t data[64];
};

static int keep(void *ctx, const void *data, size_t len)
{
	struct records *r = ctx;
	r->n++;
	r->len = len;
	memcpy(r->data, data, len < sizeof(r->data) ? len : sizeof(r->data));
	return 0;
}

/* ---- probes ------------------------------------------------------------ */

struct feature {
	const char *name;
	int major, minor;         /* first mainline kernel with it */
	size_t off;
};
#define F(n, maj, min) { #n, maj, min, offsetof(struct nf_features, n) }
static const struct feature features[] = {
	F(ringbuf, 5, 8), F(tcx, 6, 6), F(perf_link, 5, 15), F(global_data, 5, 2),
	F(mmapable, 5, 5), F(probe_read_user, 5, 5), F(btf, 4, 18), F(btf_func, 5, 0),
	F(btf_func_global, 5, 6), F(btf_datasec, 5, 2), F(btf_float, 5, 13),
	F(btf_decl_tag, 5, 16), F(btf_type_tag, 5, 17), F(btf_enum64, 6, 0),
	F(btf_empty_datasec, 5, 12), F(func_info, 5, 0), F(prog_name, 4, 15),
};

static void test_probes(void)
{
	struct utsname u;
	int major = 0, minor = 0;
	uname(&u);
	sscanf(u.release, "%d.%d", &major, &minor);
	T_CASE("probes: every feature this kernel's version has is detected") {
		int before = fd_count();
		nf_features_reset();
		const struct nf_features *f = nf_features();
		for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
			const struct feature *ft = &features[i];
			int v = *(const int *)((const char *)f + ft->off);
			int due = major > ft->major || (major == ft->major && minor >= ft->minor);
			if (due && v != 1) {
				printf("FAIL %s: %s = %d on %s (mainline since %d.%d)\n", t_case,
				       ft->name, v, u.release, ft->major, ft->minor);
				t_failed_in_case = 1;
			}
		}
		if (major > 6 || (major == 6 && minor >= 0))
			CHECK_EQ(nf_btf_missing_mask(f), 0);
		CHECK_EQ(fd_count(), before); /* each probe closed its fds */
	}
}

/* ---- global data, subprogram, hash map, ring buffer -------------------- */

static void test_globals(void)
{
	struct nf_bpf b;
	struct nf_obj obj;
	const uint32_t magic = 0xc0ffee42;
	T_CASE("globals: .rodata set before load, .data/.bss/hash/ringbuf after runs") {
		REQUIRE(parse_fixture(&obj, "globals") == 0);
		REQUIRE(nf_obj_set_var(&obj, "cfg_magic", &magic, sizeof(magic)) == 0);
		int err = nf_load(&b, &obj, NULL);
		if (err)
			printf("# %s\n", nf_lasterr());
		if (err)
			nf_obj_free(&obj);
		REQUIRE(err == 0);
		struct records rec = { 0 };
		int ev_fd = nf_bpf_map_fd(&b, "events");
		struct nf_reader *r = nf_reader_open(ev_fd, BPF_MAP_TYPE_RINGBUF, keep, &rec);
		CHECK(r != NULL);
		CHECK_EQ(read_u32(&b, ".rodata", "cfg_magic"), magic);
		CHECK_EQ(read_u64(&b, ".data", "run_count"), 100);

		for (uint64_t i = 1; i <= 2; i++) {
			CHECK_EQ(run(&b, "run_globals"), 0);
			CHECK_EQ(read_u32(&b, ".bss", "seen_magic"), magic);
			CHECK_EQ(read_u64(&b, ".data", "run_count"), 100 + i);
			CHECK_EQ(read_u32(&b, ".bss", "sub_result"), 42);
			uint32_t key = 7;
			uint64_t count = 0;
			CHECK_EQ(nf_map_lookup(nf_bpf_map_fd(&b, "counts"), &key, &count), 0);
			CHECK_EQ(count, 100 + i);
			if (!r)
				continue;
			rec.n = 0;
			CHECK_EQ(nf_reader_poll(r, 1000), 1);
			CHECK_EQ(rec.n, 1);
			CHECK_EQ(rec.len, 16);
			uint64_t got[2];
			memcpy(got, rec.data, sizeof(got));
			CHECK_EQ(got[0], magic);
			CHECK_EQ(got[1], 100 + i);
		}
		CHECK_EQ(nf_reader_drain(r), 0);
		nf_reader_free(r);

		uint32_t key = 0;
		uint8_t zero[4096] = { 0 };
		CHECK(nf_map_update(nf_bpf_map_fd(&b, ".rodata"), &key, zero, BPF_ANY) < 0);
		struct bpf_map_info mi;
		CHECK_EQ(nf_map_info(nf_bpf_map_fd(&b, ".rodata"), &mi), 0);
		CHECK_EQ(mi.map_flags & (BPF_F_RDONLY_PROG | BPF_F_MMAPABLE),
			 BPF_F_RDONLY_PROG | BPF_F_MMAPABLE);
		CHECK_STR(mi.name, ".rodata");
		nf_unload(&b);
		nf_obj_free(&obj);
	}
}

/* ---- thin wrappers --------------------------------------------------- */

static void test_wrappers(void)
{
	struct nf_bpf b;
	T_CASE("wrappers: prog info, run-time stats, hash key walk and delete") {
		REQUIRE(t_load_fixture(&b, "globals", NULL) == 0);
		int prog = nf_bpf_prog_fd(&b, "run_globals");
		int stats = nf_enable_stats();
		CHECK(stats >= 0);
		CHECK_EQ(run(&b, "run_globals"), 0);
		struct bpf_prog_info pi;
		CHECK_EQ(nf_prog_info(prog, &pi), 0);
		CHECK_STR(pi.name, "run_globals");
		CHECK_EQ(pi.type, BPF_PROG_TYPE_SCHED_CLS);
		CHECK_EQ(pi.run_cnt, 1);
		CHECK(pi.run_time_ns > 0);
		if (stats >= 0)
			close(stats);
		int counts = nf_bpf_map_fd(&b, "counts");
		uint32_t key, next;
		CHECK_EQ(nf_map_next_key(counts, NULL, &next), 0);
		CHECK_EQ(next, 7);
		key = next;
		CHECK_EQ(nf_map_next_key(counts, &key, &next), -ENOENT);
		CHECK_EQ(nf_map_delete(counts, &key), 0);
		CHECK_EQ(nf_map_next_key(counts, NULL, &next), -ENOENT);
		struct bpf_map_info mi;
		CHECK_EQ(nf_map_info(nf_bpf_map_fd(&b, "events"), &mi), 0);
		CHECK_EQ(mi.max_entries, 4096 * 4);
		t_unload(&b);
	}
}

/* ---- CO-RE -------------------------------------------------------------- */

static void test_core(void)
{
	struct nf_bpf b;
	T_CASE("core: task->pid relocated against vmlinux BTF equals getpid()") {
		REQUIRE(t_load_fixture(&b, "core", NULL) == 0);
		const struct nf_prog_spec *p = &b.obj->progs[0];
		CHECK(p->ncore > 0);
		CHECK_EQ(run(&b, "core_pid"), 0);
		CHECK_EQ(read_u32(&b, ".bss", "core_pid_val"), getpid());
		t_unload(&b);
	}
	T_CASE("core: a target BTF without task_struct poisons the access, verifier names it") {
		struct nf_obj obj, other;
		REQUIRE(parse_fixture(&other, "globals") == 0);
		if (parse_fixture(&obj, "core"))
			nf_obj_free(&other);
		REQUIRE(obj.btf != NULL);
		/* The globals fixture's BTF has no task_struct at all. */
		struct nf_load_opts opts = { .target_btf = other.btf->data,
					     .target_btf_len = other.btf->len };
		int before = fd_count();
		CHECK(nf_load(&b, &obj, &opts) < 0);
		nf_obj_free(&other);
		printf("# %s\n", nf_lasterr());
		CHECK(strstr(nf_lasterr(), "program core_pid: ") == nf_lasterr());
		CHECK(strstr(nf_lasterr(), "195896080") != NULL); /* 0xbad2310 */
		CHECK_EQ(fd_count(), before);
		nf_obj_free(&obj);
	}
}

/* ---- verifier errors and fd hygiene ------------------------------------ */

static void test_errors(void)
{
	T_CASE("bad: verifier's rejection is reported with its own words") {
		struct nf_obj obj;
		struct nf_bpf b;
		REQUIRE(parse_fixture(&obj, "bad") == 0);
		int before = fd_count();
		int err = nf_load(&b, &obj, NULL);
		CHECK_EQ(err, -EACCES);
		const char *msg = nf_lasterr();
		printf("# %s\n", msg);
		CHECK(strstr(msg, "program bad_deref: Permission denied") != NULL);
		CHECK(strstr(msg, "invalid mem access 'map_value_or_null'") != NULL);
		CHECK(strchr(msg, '\n') == NULL);
		CHECK_EQ(fd_count(), before);
		CHECK(obj.nprogs == 1 && obj.progs); /* still the caller's */
		nf_obj_free(&obj);
	}
	T_CASE("fds: load + unload leaves the fd table as it was") {
		struct nf_bpf b;
		nf_features();
		int before = fd_count();
		REQUIRE(t_load_fixture(&b, "globals", NULL) == 0);
		CHECK(fd_count() > before);
		t_unload(&b);
		CHECK_EQ(fd_count(), before);
		REQUIRE(t_load_fixture(&b, "perf", NULL) == 0);
		t_unload(&b);
		CHECK_EQ(fd_count(), before);
	}
}

/* ---- perf buffer ------------------------------------------------------- */

static void test_perf(void)
{
	struct nf_bpf b;
	T_CASE("perf: bpf_perf_event_output record read back intact") {
		REQUIRE(t_load_fixture(&b, "perf", NULL) == 0);
		struct records rec = { 0 };
		int before = fd_count();
		int fd = nf_bpf_map_fd(&b, "pevents");
		struct nf_reader *r = nf_reader_open(fd, BPF_MAP_TYPE_PERF_EVENT_ARRAY, keep, &rec);
		if (!r)
			printf("# %s\n", nf_lasterr());
		CHECK(r != NULL);
		if (r) {
			CHECK_EQ(run(&b, "perf_out"), 0);
			CHECK_EQ(nf_reader_poll(r, 1000), 1);
			CHECK_EQ(rec.n, 1);
			/* raw samples are padded to 8 bytes with the u32 size: 16 + 4 */
			CHECK(rec.len >= 16);
			uint64_t magic;
			uint32_t len;
			memcpy(&magic, rec.data, 8);
			memcpy(&len, rec.data + 8, 4);
			CHECK_EQ(magic, 0x70657266deadbeefULL);
			CHECK_EQ(len, 64);
			CHECK_EQ(nf_reader_lost(r), 0);
			nf_reader_free(r);
		}
		CHECK_EQ(fd_count(), before);
		t_unload(&b);
	}
}

int main(void)
{
	if (geteuid() != 0) {
		t_skip("loader", "needs root to load BPF programs");
		return 0;
	}
	if (getenv("NF_TEST_VERBOSE"))
		nf_log_level = NF_LOG_DEBUG;
	test_probes();
	test_globals();
	test_wrappers();
	test_core();
	test_errors();
	test_perf();
	return t_summary();
}
