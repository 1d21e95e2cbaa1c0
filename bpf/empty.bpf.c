/* The smallest TC program: pass everything on. Used by bench/ as the
 * baseline and by tests as a known-good program. */
#include "nf_bpf.h"

SEC("tc")
int nf_empty(struct __sk_buff *skb)
{
	(void)skb;
	return -1; /* TC_ACT_UNSPEC; on tcx, TCX_NEXT */
}

char LICENSE[] SEC("license") = "GPL";
