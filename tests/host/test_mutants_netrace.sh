#!/bin/sh
# Proof that the netrace suite can fail: build nflux from a copy of the tree
# with one deliberate bug at a time and run the cases that should catch it.
# Each mutant names the check it must break; first a control run of the
# same cases on the unmutated copy must pass that check.
#   PASS mutant/NAME  the control passed and the mutant failed that check
#   FAIL mutant/NAME  the bug went unnoticed there, the control failed, the
#                     line to mutate is gone (the mutant must be updated),
#                     or the mutant does not build
# Run by make test (about a minute); as root: sh tests/host/test_mutants_netrace.sh
[ "$(id -u)" = 0 ] || { echo "SKIP mutants: needs root"; exit 0; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/nfmut.XXXXXX) || exit 1
trap 'rm -rf "$WORK"' EXIT INT TERM
(cd "$ROOT" && tar --exclude=./build --exclude=./.git -cf - .) | tar -C "$WORK" -xf -
fails=0

# suite CASES MODES: the result lines of those cases with $WORK's nflux
suite() {
	(cd "$ROOT" && NFLUX="$WORK/build/nflux" NF_MODES="$2" NF_CASES="$1" \
		timeout 300 sh tests/host/test_netrace.sh 2>/dev/null)
}

# has_result OUT RESULT CHECK: OUT has the check line "RESULT CHECK" or
# "RESULT CHECK: ..." (lib.sh: "ok", "not ok")
has_result() {
	printf '%s\n' "$1" | while IFS= read -r _l; do
		case $_l in "$2 $3" | "$2 $3: "*) echo y ;; esac
	done | grep -q y
}

if ! make -s -C "$WORK" build/nflux >/dev/null 2>&1; then
	echo "FAIL mutants: the unmutated copy does not build"
	exit 1
fi
cp "$WORK/build/nflux" "$WORK/nflux.control"

# mutant NAME FILE SED CASES MODES CHECK
mutant() {
	cp "$WORK/nflux.control" "$WORK/build/nflux"
	control=$(suite "$4" "$5")
	if ! has_result "$control" ok "$6"; then
		echo "FAIL mutant/$1: the control run did not pass $6"
		fails=$((fails + 1))
		return
	fi
	cp "$WORK/$2" "$WORK/orig"
	sed -i "$3" "$WORK/$2"
	if cmp -s "$WORK/orig" "$WORK/$2"; then
		echo "FAIL mutant/$1: the line to mutate is gone from $2 (update the mutant)"
		fails=$((fails + 1))
	elif ! make -s -C "$WORK" build/nflux >/dev/null 2>&1; then
		echo "FAIL mutant/$1: the mutant does not build"
		fails=$((fails + 1))
	else
		out=$(suite "$4" "$5")
		if has_result "$out" "not ok" "$6"; then
			echo "PASS mutant/$1 (fails $6)"
		else
			echo "FAIL mutant/$1: $6 did not fail with the bug in $2"
			fails=$((fails + 1))
		fi
	fi
	cp "$WORK/orig" "$WORK/$2"
	touch "$WORK/$2"
}

B=bpf/netrace.bpf.c
mutant ipv4_l4_at_20 $B 's/return off + ihl;/return off + 20;/' basic tcx tcx/ipv4_opts/nop
mutant fragment_ports $B 's/if (frag & 0x1fff)/if (0)/' basic tcx tcx/ipv4_frag/second_no_ports
mutant ipv6_ext_len $B 's/l4 += ((__u32)x\[1\] + 1) \* 8;/l4 += (__u32)x[1] * 8;/' basic tcx tcx/ipv6_hbh/udp
mutant ah_len_as_8 $B 's/l4 += ((__u32)x\[1\] + 2) \* 4;/l4 += ((__u32)x[1] + 1) * 8;/' basic tcx tcx/ipv6_ext_chain/udp_in
mutant drop_ingress $B 's/return handle(skb, NR_INGRESS, 0);/handle(skb, NR_INGRESS, 0); return 2;/' integrity tcx tcx/integrity/all_delivered
mutant no_ratelimit $B 's/if ((nr_cfg.flags & NR_C_RATELIM) && !ratelimit_pass(ev)) {/if (0) {/' ratelimit tcx tcx/ratelimit/events_for_flow
mutant host_src_only $B 's/    prefix_match(ev->daddr, ev->family, i))/    (0 \&\& prefix_match(ev->daddr, ev->family, i)))/' filters tcx tcx/filter_host/udp_out
mutant port_dst_only $B 's/if (ev->sport == port || ev->dport == port)/if (ev->dport == port)/' filters tcx tcx/filter_two_ports/udp_out
mutant no_vlan_key src/netrace/fmt_json.c 's/if (ev->flags & NR_F_VLAN)/if (0)/' basic tcx tcx/vlan/in_tagged_frame
mutant no_detach src/netrace/nr_kern.c 's/if (nf_tc_detach(l))/if (0)/' cleanup netlink netlink/cleanup_sigint/no_program_on_vA
[ "$fails" -eq 0 ]
