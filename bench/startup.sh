#!/bin/sh
# Start-up: from exec to attached, for
#  - nflux netrace -i vA (until its "netrace on" line: both directions
#    attached, the reader running), on tcx and forced onto rtnetlink;
#  - iproute2: tc qdisc add dev vA clsact; tc filter add dev vA ingress bpf
#    da obj build/bpf/netrace.bpf.o sec SEC, the same object (one
#    direction), and the same for the empty TC program;
#  - nflux tlstrace --lib on a private copy of libssl (until "tlstrace:
#    attached").
# nflux's moment is the timestamp of its own log line (--log-format json,
# microseconds) against one taken just before the shell forks it; the tc
# commands are timed around them. Timestamps are bash's $EPOCHREALTIME (no
# fork), else date(1), less what a date(1) costs between two timestamps
# (measured in every run). netrace runs with --log-level debug, whose lines
# split its start-up into phases. Runs are interleaved, all inside the
# bench's network namespace (no ip netns exec in the timed part). Prints a
# markdown table. Needs root.
#
# Env: BENCH_STARTUP_RUNS (default 15, at least 10).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NFLUX=${NFLUX:-$ROOT/build/nflux}
NFTOOL=${NFTOOL:-$ROOT/build/nftool}
OBJ=${BENCH_OBJ:-$ROOT/build/bpf/netrace.bpf.o}
EMPTY=$ROOT/build/bpf/empty.bpf.o

# ---- the timed part, inside the namespace ----------------------------------

# stamp VAR: the time (epoch seconds) into VAR: bash's $EPOCHREALTIME
# without a fork, else date(1).
stamp() { eval "$1=\${EPOCHREALTIME:-\$(date +%s.%N)}"; }
# The seconds of the day (UTC) of an ISO timestamp (...THH:MM:SS.ffffffZ).
ts_sod() { sed -n "/$2/{s/.*\"ts\":\"[^T]*T\([0-9:.]*\)Z\".*/\1/p;q}" "$1" | awk -F: '{ printf "%.6f\n", $1 * 3600 + $2 * 60 + $3 }'; }
# ms A B [C]: B - A - C in ms; epoch times are taken modulo the day.
ms() {
	awk -v a="$1" -v b="$2" -v c="${3:-0}" 'function sod(t) { return t >= 86400 ? t - 86400 * int(t / 86400) : t }
	BEGIN { d = sod(b) - sod(a); if (d < -43200) d += 86400; printf "%.3f\n", (d - c) * 1000 }'
}

# wait_line FILE PATTERN: 0 once FILE has PATTERN (10 s at most).
wait_line() {
	_w=0
	until grep -q "$2" "$1" 2>/dev/null; do
		[ $_w -ge 1000 ] && return 1
		sleep 0.01
		_w=$((_w + 1))
	done
}

# nflux_run KIND PATTERN ARGS...: one start of nflux, "KIND MS" on stdout;
# KIND netrace-nl runs it with NFLUX_FORCE_NETLINK=1.
nflux_run() {
	_k=$1 _pat=$2
	shift 2
	_err=$BT/err.$_k
	_nl=0
	[ "$_k" = netrace-nl ] && _nl=1
	rm -f "$_err"
	stamp _t0
	NFLUX_FORCE_NETLINK=$_nl "$NFLUX" --log-format json "$@" >/dev/null 2>"$_err" &
	_p=$!
	if wait_line "$_err" "$_pat"; then
		_t=$(ts_sod "$_err" "$_pat")
		echo "$_k $(ms "$_t0" "$_t")"
		# netrace's phases, from its debug lines (when it has them): maps
		# and ring created; both programs loaded (verified) and ingress
		# attached; egress attached.
		if [ "$_k" = netrace ]; then
			_r=$(ts_sod "$_err" "netrace: ring buffer")
			_a=$(ts_sod "$_err" "attached nr_ingress")
			[ -n "$_r" ] && [ -n "$_a" ] &&
				echo "p-ring $(ms "$_t0" "$_r")" && echo "p-load $(ms "$_r" "$_a")" &&
				echo "p-egress $(ms "$_a" "$_t")"
		fi
	else
		echo "fail $_k $(tail -n 1 "$_err" | cut -c1-200)"
	fi
	kill -INT $_p 2>/dev/null
	wait $_p 2>/dev/null
}

# tc_run KIND OBJ: qdisc add + filter add, "KIND-qdisc MS" and "KIND-filter MS".
tc_run() {
	stamp _t0
	"$NF_TC" qdisc add dev vA clsact 2>"$BT/tc.err"
	stamp _t1
	"$NF_TC" filter add dev vA ingress bpf da obj "$2" sec "$SEC" 2>>"$BT/tc.err"
	_rc=$?
	stamp _t2
	if [ $_rc = 0 ]; then
		echo "$1-qdisc $(ms "$_t0" "$_t1" "$_base")"
		echo "$1-filter $(ms "$_t1" "$_t2" "$_base")"
	else
		echo "fail $1 $(grep -v '^$' "$BT/tc.err" | tail -n 1 | cut -c1-200)"
	fi
	"$NF_TC" qdisc del dev vA clsact 2>/dev/null
}

inner() {
	_run=0
	while [ $_run -lt "$RUNS" ]; do
		# What taking a timestamp costs (a date(1) without bash).
		stamp _a
		stamp _b
		echo "date $(ms "$_a" "$_b")"
		_base=$(awk -v a="$_a" -v b="$_b" 'BEGIN { print b - a }')
		nflux_run netrace "netrace on" --log-level debug netrace -i vA
		tc_run tcobj "$OBJ"
		nflux_run netrace-nl "netrace on" netrace -i vA
		nflux_run tlstrace "tlstrace: attached" tlstrace --lib "$BT/lib/libssl.so.3"
		tc_run tcempty "$EMPTY"
		_run=$((_run + 1))
	done
}

if [ "$1" = --inner ]; then
	inner
	exit 0
fi

# ---- set-up ----------------------------------------------------------------

. "$ROOT/tests/host/lib.sh"
RUNS=${BENCH_STARTUP_RUNS:-15}
[ "$RUNS" -ge 10 ] 2>/dev/null || RUNS=10
LIBDIR=/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)

[ "$(id -u)" = 0 ] || { echo "bench/startup.sh: needs root" >&2; exit 1; }
[ -x "$NFLUX" ] && [ -f "$OBJ" ] || { echo "bench/startup.sh: build first (make bench)" >&2; exit 1; }
nf_have_tc || { echo "bench/startup.sh: iproute2's tc is not installed" >&2; exit 1; }
trap 'nf_teardown' EXIT
trap 'exit 1' INT TERM HUP PIPE
nf_setup || { echo "bench/startup.sh: network namespace set-up failed" >&2; exit 1; }
BT=$NF_TMP
mkdir "$BT/lib" && cp "$LIBDIR/libssl.so.3" "$BT/lib/" || { echo "bench/startup.sh: no libssl.so.3 in $LIBDIR" >&2; exit 1; }

# The section of the TC programs (all of nflux's are in one).
SEC=
command -v llvm-objdump >/dev/null &&
	SEC=$(llvm-objdump -h "$OBJ" | awk '$2 ~ /^(tc|tcx|classifier)([/.]|$)/ { print $2; exit }')
SEC=${SEC:-tc}

export NFLUX OBJ EMPTY NF_TC BT RUNS SEC
SH=sh
command -v bash >/dev/null && SH=bash
LC_ALL=C "$NF_IP" netns exec "$NS1" $SH "$ROOT/bench/startup.sh" --inner >"$BT/res"

how="date(1)"
[ $SH = bash ] && how="bash's \$EPOCHREALTIME"
awk -v runs="$RUNS" -v how="$how" -v sec="$SEC" -v obj="$(basename "$OBJ")" "$(cat "$ROOT/bench/stats.awk")"'
function median(list,   a, k) { k = sort(list, a); return k ? (k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2) : "" }
function cell(k) { return v[k] == "" ? "-" : sprintf("%.1f (%.1f–%.1f)", median(v[k]), lo(v[k]), hi(v[k])) }
function ok(b) { return b ? "met" : "missed" }
$1 == "fail" { if (!(($2) in why)) { why[$2] = $0; sub(/^fail [^ ]* /, "", why[$2]) }; next }
{ v[$1] = v[$1] " " $2 }
# A run is qdisc + filter of the same run: add them pairwise.
$1 ~ /-qdisc$/ { q[$1] = $2 }
$1 ~ /-filter$/ { k = $1; sub(/-filter$/, "", k); v[k] = v[k] " " (q[k "-qdisc"] + $2) }
END {
	printf "### Start-up: exec to attached on a veth (ms, median (min–max) of %d interleaved runs)\n\n", runs
	print "| command | ms | attaches |"
	print "|---|---:|---|"
	printf "| `nflux netrace -i vA` (until \"netrace on\") | %s | tcx ingress + egress, ring buffer, reader running |\n", cell("netrace")
	if (v["p-load"] != "")
		printf "| … of which: exec to maps and ring created; loading (verifying) both programs and attaching ingress; attaching egress | %.1f; %.1f; %.1f | medians, from its debug lines |\n", median(v["p-ring"]), median(v["p-load"]), median(v["p-egress"])
	if ("netrace-nl" in why)
		printf "| `NFLUX_FORCE_NETLINK=1 nflux netrace -i vA` | failed: %s | |\n", why["netrace-nl"]
	else
		printf "| `NFLUX_FORCE_NETLINK=1 nflux netrace -i vA` | %s | clsact + cls_bpf over rtnetlink, as iproute2 (where tcx exists, each tcx attach waits for an RCU grace period: synchronize_rcu in tcx_link_attach) |\n", cell("netrace-nl")
	if ("tcobj" in why)
		printf "| `tc qdisc add dev vA clsact; tc filter add dev vA ingress bpf da obj %s sec %s` | iproute2 cannot load it: %s | |\n", obj, sec, why["tcobj"]
	else {
		printf "| `tc qdisc add dev vA clsact; tc filter add dev vA ingress bpf da obj %s sec %s` | %s | cls_bpf ingress (%s: all four programs loaded, one attached) |\n", obj, sec, cell("tcobj"), obj
		printf "| … of which `tc filter add` | %s | |\n", cell("tcobj-filter")
	}
	if ("tcempty" in why)
		printf "| the same with empty.bpf.o | iproute2 cannot load it: %s | |\n", why["tcempty"]
	else {
		printf "| the same with empty.bpf.o | %s | cls_bpf ingress, the empty program |\n", cell("tcempty")
		printf "| … of which `tc filter add` | %s | |\n", cell("tcempty-filter")
	}
	if ("tlstrace" in why)
		printf "| `nflux tlstrace --lib libssl.so.3` | failed: %s | |\n", why["tlstrace"]
	else
		printf "| `nflux tlstrace --lib` (private copy of libssl.so.3, until \"tlstrace: attached\") | %s | uprobes on one file |\n", cell("tlstrace")
	if ("netrace" in why) printf "\nnflux netrace failed: %s\n", why["netrace"]
	n = median(v["netrace"])
	ref = "tcobj"; if (v[ref] == "") ref = "tcempty"
	t = median(v[ref]); f = median(v[ref "-filter"])
	printf "\nTargets: netrace attached within 20 ms of exec: %s (%.1f ms); ", ok(n != "" && n <= 20), n
	printf "within 1.5× iproute2'"'"'s attach of %s (qdisc add + filter add, %.1f ms): %s (%.2f×); ", ref == "tcobj" ? "the same object" : "the empty program (ours would not load)", t, ok(t > 0 && n <= 1.5 * t), (t > 0 ? n / t : 0)
	printf "within 1.5× its filter add alone (%.1f ms): %s (%.2f×).\n", f, ok(f > 0 && n <= 1.5 * f), (f > 0 ? n / f : 0)
	m = median(v["netrace-nl"])
	if (m != "")
		printf "On rtnetlink (`NFLUX_FORCE_NETLINK=1`, the path of kernels before 6.6): within 20 ms: %s (%.1f ms); within 1.5× iproute2 (%.1f ms): %s (%.2f×). The tcx path spends its difference in the kernel, in two RCU grace periods (one per attach, under the rtnl lock, so attaching both directions at once would not overlap them).\n", ok(m <= 20), m, t, ok(t > 0 && m <= 1.5 * t), (t > 0 ? m / t : 0)
	printf "Timestamps: %s (%.3f ms between two, subtracted from the tc times); nflux'"'"'s time runs from the shell'"'"'s fork to its own log line.\n", how, median(v["date"])
}' "$BT/res"
