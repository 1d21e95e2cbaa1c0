/* Kernel-side basics for nflux BPF programs: section and map macros, helper
 * declarations (numbered from the UAPI enum), and CO-RE access. Ours; no
 * libbpf headers. */
#ifndef NF_BPF_H
#define NF_BPF_H
#include <linux/types.h>
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) __typeof__(val) *name
#define __array(name, val) __typeof__(val) *name[]
#undef __always_inline
#define __always_inline inline __attribute__((always_inline))
#define __hidden __attribute__((visibility("hidden")))
#define __noinline __attribute__((noinline))

#ifndef NULL
#define NULL ((void *)0)
#endif

#define NF_HELPER(ret, name, ...) \
	static ret (*bpf_##name)(__VA_ARGS__) = (void *)BPF_FUNC_##name

NF_HELPER(void *, map_lookup_elem, void *map, const void *key);
NF_HELPER(long, map_update_elem, void *map, const void *key, const void *value, __u64 flags);
NF_HELPER(long, map_delete_elem, void *map, const void *key);
NF_HELPER(long, probe_read, void *dst, __u32 size, const void *src);
NF_HELPER(__u64, ktime_get_ns, void);
NF_HELPER(long, trace_printk, const char *fmt, __u32 fmt_size, ...);
NF_HELPER(__u32, get_prandom_u32, void);
NF_HELPER(__u32, get_smp_processor_id, void);
NF_HELPER(__u64, get_current_pid_tgid, void);
NF_HELPER(__u64, get_current_uid_gid, void);
NF_HELPER(long, get_current_comm, void *buf, __u32 size);
NF_HELPER(long, perf_event_output, void *ctx, void *map, __u64 flags, void *data, __u64 size);
NF_HELPER(long, skb_load_bytes, const void *skb, __u32 offset, void *to, __u32 len);
NF_HELPER(__u64, get_current_task, void);
NF_HELPER(long, probe_read_str, void *dst, __u32 size, const void *src);
NF_HELPER(__u64, get_socket_cookie, void *ctx);
NF_HELPER(long, probe_read_user, void *dst, __u32 size, const void *src);
NF_HELPER(long, probe_read_kernel, void *dst, __u32 size, const void *src);
NF_HELPER(long, probe_read_user_str, void *dst, __u32 size, const void *src);
NF_HELPER(long, ringbuf_output, void *ringbuf, void *data, __u64 size, __u64 flags);
NF_HELPER(void *, ringbuf_reserve, void *ringbuf, __u64 size, __u64 flags);
NF_HELPER(void, ringbuf_submit, void *data, __u64 flags);
NF_HELPER(void, ringbuf_discard, void *data, __u64 flags);
NF_HELPER(__u64, ktime_get_boot_ns, void);
NF_HELPER(long, tail_call, void *ctx, void *prog_array, __u32 index);

/* CO-RE: clang records a relocation for every access inside this. */
#define nf_core_access(x) __builtin_preserve_access_index(x)
#define nf_core_field_exists(f) __builtin_preserve_field_info(f, 2)
#define nf_core_field_size(f) __builtin_preserve_field_info(f, 1)
#define nf_core_type_exists(t) __builtin_preserve_type_info(*(t *)0, 0)
#define nf_core_type_size(t) __builtin_preserve_type_info(*(t *)0, 1)
#define nf_core_enum_value(t, v) __builtin_preserve_enum_value(*(t *)v, 1)

#define nf_barrier() asm volatile("" ::: "memory")

#endif
