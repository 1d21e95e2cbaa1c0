#!/bin/sh
# netrace under a 64-byte UDP flood over veth, in two tables:
#  - the datapath: no program, the empty TC program (the same attach path
#    nflux takes), nflux --disable-full-log and the full log; ns/packet from
#    the kernel's BPF run-time statistics (nflux --stats, in floods of their
#    own, since the statistics cost every BPF program on the host);
#  - logging to a file: tcpdump text and -w against nflux JSON and -w:
#    events written / packets sent, losses as each tool reports them, and the
#    logger's CPU time (from after attach to just before it is stopped) per
#    million events written.
# Packets/s are given twice: by the wall clock and per CPU second of the
# sender, whose CPU time holds the receive path and the TC programs (run
# in its context): the wall clock follows whatever else the machine runs.
# Rounds are interleaved (A B C .. A B C, each round starting one row
# later) so that the machine's drift hits every row alike; each cell is a
# median (min-max where it says so). Prints markdown. Needs root.
#
# Env: BENCH_PACKETS (default 200000 per flood), BENCH_ROUNDS (5),
# NFLUX_FORCE_NETLINK=1 to bench the rtnetlink path, NFLUX_FORCE_PERF=1 the
# perf buffer instead of the ring buffer, BENCH_PIN=1 to pin the sender and
# the logger to CPUs of their own (off by default: on a shared machine the
# scheduler dodges other loads better than a fixed CPU does).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NFLUX=${NFLUX:-$ROOT/build/nflux}
NFTOOL=${NFTOOL:-$ROOT/build/nftool}
. "$ROOT/tests/host/lib.sh"

N=${BENCH_PACKETS:-200000}
ROUNDS=${BENCH_ROUNDS:-5}
PORT=9000
# 14 Ethernet + 20 IP + 8 UDP + 22 payload = 64-byte frames.
PAYLOAD=22
CONFIGS="none empty ratelimited full-json nflux-pcap tcpdump-text tcpdump-pcap stats-ratelimited stats-full"
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

[ "$(id -u)" = 0 ] || { echo "bench/netrace.sh: needs root" >&2; exit 1; }
[ -x "$NFLUX" ] && [ -x "$NFTOOL" ] || { echo "bench/netrace.sh: build first (make bench)" >&2; exit 1; }
TCPDUMP=$(command -v tcpdump)
ATTACHED=
trap 'bench_detach; nf_teardown' EXIT
trap 'exit 1' INT TERM HUP PIPE
nf_setup || { echo "bench/netrace.sh: network namespace set-up failed" >&2; exit 1; }
RES=$NF_TMP/results
: >"$RES"

# CPU time of PID in ns: the sum over its threads of /proc/PID/task/*/
# schedstat's first field (user + system, to the ns). Without schedstat,
# utime + stime (fields 14 and 15 of /proc/PID/stat, in clock ticks; the
# command name, field 2, may hold spaces: count from its ")"), which at
# 100 Hz is too coarse for the 0.02 s a flood may cost.
cpu_ns() {
	if [ -r "/proc/$1/schedstat" ]; then
		cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
	else
		sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk -v hz="$HZ" '{ printf "%.0f\n", ($12 + $13) * 1e9 / hz }'
	fi
}
CPU_HOW="utime + stime from /proc/PID/stat, in 1/$HZ s ticks"
[ -r /proc/self/schedstat ] && CPU_HOW="user + system ns from /proc/PID/task/*/schedstat"

# BENCH_PIN=1, on two CPUs or more: the sender (and the softirq that runs
# the receive path and the TC programs in its context) stays on CPU 0, the
# logger and the sink on CPU 1.
PIN0= PIN1=
if [ "${BENCH_PIN:-0}" = 1 ] && command -v taskset >/dev/null && [ "$(getconf _NPROCESSORS_ONLN)" -ge 2 ]; then
	PIN0="taskset -c 0" PIN1="taskset -c 1"
fi
pin_logger() { [ -n "$PIN1" ] && taskset -a -pc 1 "$1" >/dev/null 2>&1; return 0; }

# UDP packets to PORT in a pcap/pcapng file.
count_pcap() {
	if command -v tshark >/dev/null; then
		tshark -r "$1" -Y "udp.dstport==$PORT" -T fields -e frame.number 2>/dev/null | wc -l
	else
		"$TCPDUMP" -r "$1" -n "udp dst port $PORT" 2>/dev/null | wc -l
	fi
}

# ---- what runs on vA for each row ---------------------------------------

bench_attach() { # CONFIG: start it on vA in ns1; 0 once it is in place
	ATTACHED=
	case $1 in
	none) return 0 ;;
	empty)
		rm -f "$NF_TMP/empty.out"
		"$NF_IP" netns exec "$NS1" "$NFTOOL" attach-empty vA >"$NF_TMP/empty.out" 2>&1 &
		ATTACHED=$!
		pin_logger $ATTACHED
		nf_wait_file "$NF_TMP/empty.out" '^attached' 10 ;;
	ratelimited | full-json | nflux-pcap | stats-*)
		case $1 in
		ratelimited) set -- --disable-full-log ;;
		full-json) set -- ;;
		nflux-pcap) rm -f "$NF_TMP/nflux.pcapng"; set -- -w "$NF_TMP/nflux.pcapng" ;;
		stats-ratelimited) set -- --disable-full-log --stats ;;
		stats-full) set -- --stats ;;
		esac
		NF_FORMAT=json nf_start "$@"
		ATTACHED=$NF_PID
		pin_logger $ATTACHED
		nf_wait_attached ;;
	tcpdump-text | tcpdump-pcap)
		[ -n "$TCPDUMP" ] || return 1
		rm -f "$NF_TMP/tcpdump.err" "$NF_TMP/tcpdump.out" "$NF_TMP/tcpdump.pcap"
		# -Z root: Debian's tcpdump drops to its own user, which may not
		# write into our private directory.
		if [ "$1" = tcpdump-text ]; then
			"$NF_IP" netns exec "$NS1" "$TCPDUMP" -Z root -i vA -n -l udp port $PORT \
				>"$NF_TMP/tcpdump.out" 2>"$NF_TMP/tcpdump.err" &
		else
			"$NF_IP" netns exec "$NS1" "$TCPDUMP" -Z root -i vA -n -w "$NF_TMP/tcpdump.pcap" \
				udp port $PORT >/dev/null 2>"$NF_TMP/tcpdump.err" &
		fi
		ATTACHED=$!
		pin_logger $ATTACHED
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
# "ok CONFIG PPS DELIVERED WRITTEN LOST NS CPU_NS BUFFER_KIB EXACT KDROPS
# SENDER_TICKS SENT" to $RES ("-": not applicable). EXACT is sent - written -
# lost (nflux), KDROPS what the kernel dropped before TC could see it
# (backlog, veth), SENDER_TICKS the sender's CPU time in clock ticks.
bench_flood() {
	if ! bench_attach "$1"; then
		case $1 in
		tcpdump-*) [ -n "$TCPDUMP" ] && _why="did not attach: $(tail -n 1 "$NF_TMP/tcpdump.err" 2>/dev/null)" || _why="not installed" ;;
		ratelimited | full-json | nflux-pcap | stats-*) _why="did not attach: $NF_WHY" ;;
		*) _why="did not attach: $(tail -n 1 "$NF_TMP/empty.out" 2>/dev/null)" ;;
		esac
		echo "unavailable $1 $_why" | tr -s '\n' ' ' | cut -c1-300 >>"$RES"
		echo >>"$RES"
		bench_detach
		return
	fi
	rm -f "$NF_TMP/sink" # the last round's "listening" must not count
	"$NF_IP" netns exec "$NS1" $PIN1 "$NFTOOL" sink --port $PORT --count "$N" --timeout 20 \
		>"$NF_TMP/sink" 2>&1 &
	_sink=$!
	nf_wait_file "$NF_TMP/sink" listening 5
	_c0=
	[ -n "$ATTACHED" ] && _c0=$(cpu_ns "$ATTACHED")
	_k0=$(nf_kernel_drops)
	rm -f "$NF_TMP/sent" "$NF_TMP/sendstat"
	# The sender under a shell that, once it is done, reads its own
	# cutime + cstime: the sender's CPU time, with the receive path and
	# the TC programs that run in its context (softirq at bh enable; this
	# is charged to the task unless the kernel has IRQ_TIME_ACCOUNTING).
	ip netns exec "$NS2" $PIN0 sh -c 'o=$1 s=$2; shift 2; "$@" >"$o"; sed "s/.*) //" /proc/$$/stat >"$s"' \
		sh "$NF_TMP/sent" "$NF_TMP/sendstat" "$NFTOOL" send udp --src "$B4" --dst "$A4" --sport 5000 \
		--dport $PORT --count "$N" --size $PAYLOAD
	wait $_sink
	# Let the logger drain before it is stopped: libpcap hands a block of
	# its ring over when it is full or after tcpdump's 1 s timeout.
	[ -n "$ATTACHED" ] && sleep 1.2
	_cpu=-
	[ -n "$_c0" ] && _cpu=$(($(cpu_ns "$ATTACHED") - _c0))
	_kd=$(($(nf_kernel_drops) - _k0))
	bench_detach
	_sent=$(awk '{ print $2 }' "$NF_TMP/sent")
	_secs=$(awk '{ print $4 }' "$NF_TMP/sent")
	_pps=$(awk -v n="$_sent" -v s="$_secs" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }')
	_got=$(awk '/^received/ { print $2 }' "$NF_TMP/sink")
	_scpu=$(awk '{ print $14 + $15 }' "$NF_TMP/sendstat")
	_written=- _lost=- _ns=- _buf=- _exact=-
	case $1 in
	ratelimited | full-json | nflux-pcap | stats-*)
		_lost=$(awk '/events lost/ { print $1 }' "$NF_ERR")
		_ns=$(awk '/ns per packet/ { print $1 }' "$NF_ERR")
		_buf=$(sed -n 's/.*ring buffer, \([0-9]*\) KiB.*/\1/p' "$NF_ERR" | head -n 1)
		case $1 in
		ratelimited | stats-ratelimited) _written=$(awk '/events written/ { print $1 }' "$NF_ERR") ;;
		full-json | stats-full) _written=$(grep -c "\"dport\":$PORT," "$NF_OUT") ;;
		nflux-pcap) _written=$(count_pcap "$NF_TMP/nflux.pcapng") ;;
		esac
		case $1 in
		full-json | nflux-pcap) _exact=$((_sent - _written - ${_lost:-0})) ;;
		esac ;;
	tcpdump-text | tcpdump-pcap)
		if [ "$1" = tcpdump-text ]; then
			_written=$(grep -c "\.$PORT: UDP" "$NF_TMP/tcpdump.out")
		else
			_written=$(count_pcap "$NF_TMP/tcpdump.pcap")
		fi
		_lost=$(awk '/dropped by kernel/ { print $1 }' "$NF_TMP/tcpdump.err")
		_buf=2048 ;; # libpcap's default -B
	esac
	echo "ok $1 ${_pps:--} ${_got:--} ${_written:--} ${_lost:--} ${_ns:--} $_cpu ${_buf:--} $_exact $_kd ${_scpu:--} $_sent" >>"$RES"
}

. "$ROOT/bench/interleave.inc"
# shellcheck disable=SC2086
bench_interleave bench/netrace.sh "$ROUNDS" bench_flood $CONFIGS

# ---- the tables -------------------------------------------------------------

attach=tcx
[ -n "$NFLUX_FORCE_NETLINK" ] && attach=netlink
events="ring buffer"
[ -n "$NFLUX_FORCE_PERF" ] && events="perf buffer"
awk -v n="$N" -v rounds="$ROUNDS" -v attach="$attach" -v events="$events" -v kern="$(uname -r)" \
	-v port="$PORT" -v hz="$HZ" -v cpuhow="$CPU_HOW" -v pinned="${PIN0:+1}" "$(cat "$ROOT/bench/stats.awk")"'
function median(list,   a, k) { k = sort(list, a); return k ? a[int((k + 1) / 2)] : "" }
function add(arr, k, v) { if (v != "-") arr[k] = arr[k] " " v }
function range(list, fmt) { return sprintf(fmt " (" fmt "–" fmt ")", median(list), lo(list), hi(list)) }
function ok(b) { return b ? "met" : "missed" }
# Packets per CPU second of the sender, against the empty program'"'"'s.
function rel_cpu(k) { return median(srate["empty"]) ? 100 * median(srate[k]) / median(srate["empty"]) : 0 }
function vs_cpu(k) { return srate[k] == "" ? "-" : sprintf("%.1f%%", rel_cpu(k)) }
$1 == "ok" { k = $2; add(pps, k, $3); add(got, k, $4); add(wr, k, $5); add(lost, k, $6); add(ns, k, $7)
	if ($8 != "-" && $5 != "-" && $5 > 0) add(cpu, k, $8 / 1e9 / $5 * 1e6)
	add(buf, k, $9); add(exact, k, $10); add(kd, k, $11)
	if ($12 != "-" && $12 > 0) { add(scpu, k, $12 / hz / $13 * 1e6); add(srate, k, $13 / ($12 / hz)) }
	if ($5 != "-") add(ratio, k, $5 / n) }
$1 == "unavailable" { k = $2; $1 = $2 = ""; sub(/^ +/, ""); na[k] = $0 }
END {
	what["none"] = "no program"
	what["empty"] = "empty TC program"
	what["ratelimited"] = "nflux netrace --disable-full-log"
	what["full-json"] = "nflux netrace, full log (JSON to a file)"
	what["tcpdump-text"] = "tcpdump -n -l > file (text)"
	what["tcpdump-pcap"] = "tcpdump -w file (pcap)"
	what["nflux-json"] = "nflux netrace --log-format json > file"
	what["nflux-pcap"] = "nflux netrace -w file (pcapng)"
	base = median(pps["empty"])

	printf "### netrace datapath: 64-byte UDP flood over veth (%d packets a flood, %d rounds, %s path, %s, kernel %s)\n\n", n, rounds, attach, events, kern
	print "| attached to the receiver | packets/s (wall clock), median (min–max) | sender CPU µs per packet, median (min–max) | vs empty program: by sender CPU; by wall clock | delivered to the socket | events written | program ns/packet (`--stats`) |"
	print "|---|---:|---:|---:|---:|---:|---:|"
	split("none empty ratelimited full-json", rows, " ")
	for (i = 1; i <= 4; i++) {
		k = rows[i]
		if (k in na) { print "| " what[k] " | " na[k] " | | | | | |"; continue }
		sk = k == "ratelimited" ? "stats-ratelimited" : (k == "full-json" ? "stats-full" : "")
		p = median(pps[k])
		printf "| %s | %s | %s | %s; %s | %.1f%% | %s | %s |\n", what[k], range(pps[k], "%d"), range(scpu[k], "%.2f"),
			vs_cpu(k), (base ? sprintf("%.1f%%", 100 * p / base) : "-"), 100 * median(got[k]) / n,
			wr[k] == "" ? "-" : (k == "full-json" ? sprintf("%.1f%% (min %.1f%%)", 100 * median(ratio[k]), 100 * lo(ratio[k])) : median(wr[k])),
			sk != "" && ns[sk] != "" ? range(ns[sk], "%d") : "-"
	}
	rl = base ? 100 * median(pps["ratelimited"]) / base : 0; rc = rel_cpu("ratelimited")
	printf "\nTargets: --disable-full-log at least 95%% of the empty program'"'"'s packets/s: %s (%.1f%% by the sender'"'"'s CPU time, %.1f%% by the wall clock); ", ok(rc >= 95), rc, rl
	fl = hi(lost["full-json"]) + 0; fw = lo(ratio["full-json"])
	printf "the full log loses nothing: %s (at most %d lost, at least %.2f%% written in a round).\n", ok(fl == 0 && fw >= 1), fl, 100 * fw
	print "ns/packet is the kernel'"'"'s BPF run-time statistic for nflux'"'"'s programs, from floods with `--stats` of their own."
	printf "Sender CPU: the sender'"'"'s user + system time (1/%d s ticks), which holds the receive path and the TC programs run in its context; packets per CPU second decide the target, since the wall clock follows whatever else the machine runs.\n", hz

	printf "\n### netrace logging to a file: the same flood, nflux against tcpdump (events to UDP port %d; %d rounds)\n\n", port, rounds
	print "| logger | packets/s vs empty program: by sender CPU; by wall clock | events written ÷ packets sent, median (min) | lost, as the tool reports it (max) | sent − written − lost (nflux: must be 0; max) | logger CPU s per million events, median (min–max) | buffer |"
	print "|---|---:|---:|---:|---:|---:|---:|"
	split("tcpdump-text tcpdump-pcap full-json nflux-pcap", rows, " ")
	for (i = 1; i <= 4; i++) {
		k = rows[i]; label = k == "full-json" ? what["nflux-json"] : what[k]
		if (k in na) { print "| " label " | " na[k] " | | | | | |"; continue }
		ex = "-"
		if (exact[k] != "") { ex = hi(exact[k]); if (-lo(exact[k]) > ex) ex = lo(exact[k]) }
		printf "| %s | %s; %.1f%% | %.2f%% (%.2f%%) | %s | %s | %s | %s |\n", label,
			vs_cpu(k), (base ? 100 * median(pps[k]) / base : 0), 100 * median(ratio[k]), 100 * lo(ratio[k]),
			lost[k] == "" ? "-" : hi(lost[k]), ex,
			cpu[k] == "" ? "-" : range(cpu[k], "%.2f"),
			buf[k] == "" ? "-" : (k ~ /^tcpdump/ ? "2 MiB (libpcap default)" : sprintf("ring %d KiB", median(buf[k])))
	}
	all = 1; worst = 1; exok = 1; exw = 0
	split("full-json nflux-pcap", rows, " ")
	for (i = 1; i <= 2; i++) {
		k = rows[i]
		if (lo(ratio[k]) < worst) worst = lo(ratio[k])
		m = split(exact[k], e, " ")
		if (!m) exok = 0
		for (j = 1; j <= m; j++) if (e[j] != 0) { exok = 0; if ((e[j] < 0 ? -e[j] : e[j]) > exw) exw = (e[j] < 0 ? -e[j] : e[j]) }
	}
	kdrops = 0; for (k in kd) { m = split(kd[k], e, " "); for (j = 1; j <= m; j++) kdrops += e[j] }
	printf "\nTargets: nflux writes every packet, JSON and -w: %s (at least %.2f%% in every round); ", ok(worst >= 1), 100 * worst
	printf "nflux accounts for every packet, lost = sent − written: %s (off by at most %d).\n", ok(exok), exw
	printf "CPU: %s of the logger, from attached to just before it is stopped, per event written. ", cpuhow
	if (pinned) printf "The sender (and the receive path it runs) is pinned to CPU 0, logger and sink to CPU 1. "
	printf "The kernel dropped %d packets before TC in all floods together (softnet backlog, veth).\n", kdrops
}' "$RES"
