#!/bin/sh
# Proof that the netrace suite can fail: build nflux from a copy of the tree
# with one deliberate bug at a time and run the cases that should catch it.
# "PASS mutant/NAME" = the suite failed as it must; "FAIL" = the bug went
# unnoticed; "SKIP" = the code no longer has the line the mutation edits.
# Not part of make test (several minutes); run as root: sh tests/host/mutants_netrace.sh
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/nfmut.XXXXXX) || exit 1
trap 'rm -rf "$WORK"' EXIT INT TERM
(cd "$ROOT" && tar --exclude=./build --exclude=./.git -cf - .) | tar -C "$WORK" -xf -
fails=0

# mutant NAME FILE SED CASES MODES
mutant() {
	cp "$WORK/$2" "$WORK/orig"
	sed -i "$3" "$WORK/$2"
	if cmp -s "$WORK/orig" "$WORK/$2"; then
		echo "SKIP mutant/$1: the line to mutate is gone from $2"
	elif ! make -s -C "$WORK" build/nflux >/dev/null 2>&1; then
		echo "SKIP mutant/$1: the mutant does not build"
	else
		out=$(cd "$ROOT" && NFLUX="$WORK/build/nflux" NF_MODES="$5" NF_CASES="$4" \
			timeout 300 sh tests/host/test_netrace.sh 2>/dev/null | grep '^FAIL ' | head -n 1)
		if [ -n "$out" ]; then echo "PASS mutant/$1 (${out#FAIL })" | cut -c1-200; else
			echo "FAIL mutant/$1: cases '$4' passed with the bug in $2"; fails=$((fails + 1)); fi
	fi
	cp "$WORK/orig" "$WORK/$2"
}

B=bpf/netrace.bpf.c
mutant ipv4_l4_at_20 $B 's/return off + ihl;/return off + 20;/' basic tcx
mutant fragment_ports $B 's/if (frag & 0x1fff)/if (0)/' basic tcx
mutant ipv6_ext_len $B 's/l4 += ((__u32)x\[1\] + 1) \* 8;/l4 += (__u32)x[1] * 8;/' basic tcx
mutant ah_len_as_8 $B 's/l4 += ((__u32)x\[1\] + 2) \* 4;/l4 += ((__u32)x[1] + 1) * 8;/' basic tcx
mutant drop_ingress $B 's/return handle(skb, NR_INGRESS, 0);/handle(skb, NR_INGRESS, 0); return 2;/' integrity tcx
mutant no_ratelimit $B 's/if ((nr_cfg.flags & NR_C_RATELIM) && !ratelimit_pass(&ev)) {/if (0) {/' ratelimit tcx
mutant host_src_only $B 's/    prefix_match(ev->daddr, ev->family, i))/    (0 \&\& prefix_match(ev->daddr, ev->family, i)))/' filters tcx
mutant port_dst_only $B 's/if (ev->sport == port || ev->dport == port)/if (ev->dport == port)/' filters tcx
mutant no_vlan_key src/netrace/fmt_json.c 's/if (ev->flags & NR_F_VLAN)/if (0)/' basic tcx
mutant no_detach src/netrace/nr_kern.c 's/if (nf_tc_detach(l))/if (0)/' cleanup netlink
[ "$fails" -eq 0 ]
