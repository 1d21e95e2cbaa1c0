#!/bin/sh
# netrace under a 64-byte UDP flood over veth, compared in one run with no
# program and with the empty TC program (the same attach path nflux takes).
# Rounds are interleaved so that the machine's drift hits every row alike;
# each row reports its median. Prints a markdown table. Needs root.
#
# Env: BENCH_PACKETS (default 200000 per flood), BENCH_ROUNDS (5),
# NFLUX_FORCE_NETLINK=1 to bench the rtnetlink path, NFLUX_FORCE_PERF=1 the
# perf buffer instead of the ring buffer.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NFLUX=${NFLUX:-$ROOT/build/nflux}
NFTOOL=${NFTOOL:-$ROOT/build/nftool}
. "$ROOT/tests/host/lib.sh"

N=${BENCH_PACKETS:-200000}
ROUNDS=${BENCH_ROUNDS:-5}
PORT=9000
# 14 Ethernet + 20 IP + 8 UDP + 22 payload = 64-byte frames.
PAYLOAD=22
CONFIGS="none empty ratelimited full-json tcpdump"

[ "$(id -u)" = 0 ] || { echo "bench/netrace.sh: needs root" >&2; exit 1; }
[ -x "$NFLUX" ] && [ -x "$NFTOOL" ] || { echo "bench/netrace.sh: build first (make bench)" >&2; exit 1; }
ATTACHED=
trap 'bench_detach; nf_teardown' EXIT
trap 'exit 1' INT TERM HUP PIPE
nf_setup || { echo "bench/netrace.sh: network namespace set-up failed" >&2; exit 1; }
RES=$NF_TMP/results
: >"$RES"

# ---- what runs on vA for each row ---------------------------------------

bench_attach() { # CONFIG: start it on vA in ns1; 0 once it is in place
	ATTACHED=
	case $1 in
	none) return 0 ;;
	empty)
		rm -f "$NF_TMP/empty.out"
		"$NF_IP" netns exec "$NS1" "$NFTOOL" attach-empty vA >"$NF_TMP/empty.out" 2>&1 &
		ATTACHED=$!
		nf_wait_file "$NF_TMP/empty.out" '^attached' 10 ;;
	ratelimited | full-json)
		_flag=--disable-full-log
		[ "$1" = full-json ] && _flag=
		NF_FORMAT=json nf_start $_flag
		ATTACHED=$NF_PID
		nf_wait_attached ;;
	tcpdump)
		command -v tcpdump >/dev/null || return 1
		rm -f "$NF_TMP/tcpdump.err"
		"$NF_IP" netns exec "$NS1" tcpdump -i vA -n -l udp port $PORT \
			>"$NF_TMP/tcpdump.out" 2>"$NF_TMP/tcpdump.err" &
		ATTACHED=$!
		nf_wait_file "$NF_TMP/tcpdump.err" 'listening on' 10 ;;
	esac
}

bench_detach() {
	[ -n "$ATTACHED" ] || return 0
	kill -INT "$ATTACHED" 2>/dev/null
	nf_wait_gone "$ATTACHED" 30 || kill -KILL "$ATTACHED" 2>/dev/null
	wait "$ATTACHED" 2>/dev/null
	ATTACHED= NF_PID=
}

# ---- one flood ------------------------------------------------------------

# bench_flood CONFIG: one flood with CONFIG attached; appends
# "ok CONFIG PPS DELIVERED LOGGED LOST NS_PER_PACKET" to $RES ("-": none).
bench_flood() {
	bench_attach "$1" || { echo "unavailable $1" >>"$RES"; bench_detach; return; }
	rm -f "$NF_TMP/sink" # the last round's "listening" must not count
	"$NF_IP" netns exec "$NS1" "$NFTOOL" sink --port $PORT --count "$N" --timeout 20 \
		>"$NF_TMP/sink" 2>&1 &
	_sink=$!
	nf_wait_file "$NF_TMP/sink" listening 5
	ip netns exec "$NS2" "$NFTOOL" send udp --src "$B4" --dst "$A4" --sport 5000 \
		--dport $PORT --count "$N" --size $PAYLOAD >"$NF_TMP/sent"
	wait $_sink
	sleep 0.5   # let the reader drain before it is stopped
	bench_detach
	_secs=$(awk '{ print $4 }' "$NF_TMP/sent")
	_pps=$(awk -v n="$N" -v s="$_secs" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }')
	_got=$(awk '/^received/ { print $2 }' "$NF_TMP/sink")
	_logged=- _lost=- _ns=
	case $1 in
	ratelimited | full-json)
		_logged=$(nf_stat written) _lost=$(nf_stat lost)
		_ns=$(awk '/ns per packet/ { print $1 }' "$NF_ERR")
		[ "$1" = full-json ] && _logged=$(grep -c "\"dport\":$PORT" "$NF_OUT") ;;
	tcpdump)
		_logged=$(grep -c "\.$PORT: UDP" "$NF_TMP/tcpdump.out")
		_lost=$(awk '/dropped by kernel/ { print $1 }' "$NF_TMP/tcpdump.err") ;;
	esac
	echo "ok $1 ${_pps:--} ${_got:--} ${_logged:--} ${_lost:--} ${_ns:--}" >>"$RES"
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
	for c in $CONFIGS; do
		bench_flood "$c"
	done
	echo "round $r of $ROUNDS done" >&2
	r=$((r + 1))
done

# ---- the table --------------------------------------------------------------

attach=tcx
[ -n "$NFLUX_FORCE_NETLINK" ] && attach=netlink
events=ringbuf
[ -n "$NFLUX_FORCE_PERF" ] && events="perf buffer"
echo "### netrace: 64-byte UDP flood over veth ($N packets, median of $ROUNDS rounds, $attach path, $events, kernel $(uname -r))"
echo
awk -v configs="$CONFIGS" -v n="$N" '
function median(list,   a, k, i, j, t) {
	k = split(list, a, " ")
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return k ? a[int((k + 1) / 2)] : 0
}
$1 == "ok" { k = $2; pps[k] = pps[k] " " $3; got[k] = got[k] " " $4; logged[k] = logged[k] " " $5
	lost[k] = lost[k] " " $6; if ($7 != "-") ns[k] = ns[k] " " $7 }
$1 == "unavailable" { na[$2] = 1 }
END {
	what["none"] = "no program"
	what["empty"] = "empty TC program"
	what["ratelimited"] = "nflux netrace --disable-full-log"
	what["full-json"] = "nflux netrace, full log, JSON to a file"
	what["tcpdump"] = "tcpdump -n -l, text to a file"
	base = median(pps["empty"])
	print "| attached to the receiver | packets/s | vs empty program | delivered | logged (min) | lost (max) | program ns/packet |"
	print "|---|---:|---:|---:|---:|---:|---:|"
	m = split(configs, c, " ")
	for (i = 1; i <= m; i++) {
		k = c[i]
		if (na[k]) { print "| " what[k] " | not installed | | | | | |"; continue }
		p = median(pps[k])
		split(logged[k], l, " "); split(lost[k], x, " "); lmin = ""; xmax = ""
		for (j in l) if (l[j] != "-" && (lmin == "" || l[j] + 0 < lmin + 0)) lmin = l[j]
		for (j in x) if (x[j] != "-" && (xmax == "" || x[j] + 0 > xmax + 0)) xmax = x[j]
		printf "| %s | %d | %s | %.1f%% | %s | %s | %s |\n", what[k], p,
			base ? sprintf("%.1f%%", 100 * p / base) : "-", 100 * median(got[k]) / n,
			lmin == "" ? "-" : (k == "ratelimited" ? lmin : sprintf("%s (%.1f%%)", lmin, 100 * lmin / n)),
			xmax == "" ? "-" : xmax, ns[k] == "" ? "-" : median(ns[k])
	}
}' "$RES"
echo
echo "Targets: --disable-full-log at least 95% of the empty program's packets/s; the full log loses"
echo "nothing. ns/packet is the kernel's BPF run-time statistic for nflux's programs."
