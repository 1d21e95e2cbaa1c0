#!/bin/sh
# tlstrace's cost to a TLS workload: rounds of curl downloads over HTTPS on
# loopback (openssl s_server -WWW serving a file of BENCH_MIB MiB), with no
# tracer, with nflux tlstrace writing JSON to a file, and with bpftrace
# printing the buffer of every SSL_write (and, a second row, of every
# SSL_read too: what a download carries), when bpftrace is installed.
# Rounds are interleaved (each round starting one row later) so that the
# machine's drift hits every row alike. Both peers load a private copy of
# libssl, the only file probed. Columns: throughput, bytes captured per
# plaintext byte sent (curl's request, the response's header and body, as
# curl counts them), the tracer's CPU time (user + system, the sum over its
# threads of /proc/PID/task/*/schedstat, from attached to just before it is
# stopped) per GiB sent, and the workload's (curl's cutime + cstime, the
# server's schedstat), which holds the probes' cost. Prints a markdown
# table. Needs root.
#
# Env: BENCH_MIB (default 4), BENCH_REQUESTS (40 per round), BENCH_ROUNDS (5),
# BENCH_TRACER_ARGS (more options for nflux tlstrace), BENCH_OUT (a file to
# append nflux's events to; by default they go to a temporary file, removed
# after each round), BENCH_VERBOSE=1 (nflux's exit statistics on stderr).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NFLUX=${NFLUX:-$ROOT/build/nflux}
NFTOOL=${NFTOOL:-$ROOT/build/nftool}
MIB=${BENCH_MIB:-4}
REQS=${BENCH_REQUESTS:-40}
ROUNDS=${BENCH_ROUNDS:-5}
LIBDIR=/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
CONFIGS="none nflux bpftrace-write bpftrace-rw"

[ "$(id -u)" = 0 ] || { echo "bench/tlstrace.sh: needs root" >&2; exit 1; }
[ -x "$NFLUX" ] || { echo "bench/tlstrace.sh: build first (make bench)" >&2; exit 1; }
for t in openssl curl; do
	command -v $t >/dev/null || { echo "bench/tlstrace.sh: $t is not installed" >&2; exit 1; }
done
BPFTRACE=$(command -v bpftrace)
T=$(mktemp -d)
SRV= TRACER=
stop_tracer() {
	[ -n "$TRACER" ] || return 0
	kill -INT "$TRACER" 2>/dev/null
	_w=0
	while kill -0 "$TRACER" 2>/dev/null; do
		[ $_w -ge 300 ] && { kill -KILL "$TRACER" 2>/dev/null; break; }
		sleep 0.1
		_w=$((_w + 1))
	done
	wait "$TRACER" 2>/dev/null
	TRACER=
}
cleanup() {
	stop_tracer
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

mkdir "$T/lib" "$T/www"
LIB=$T/lib/libssl.so.3
cp "$LIBDIR/libssl.so.3" "$LIB" || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
	-keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1
head -c $((MIB << 20)) /dev/urandom >"$T/www/blob"
PORT=$((47000 + $$ % 1000))
(cd "$T/www" && LD_LIBRARY_PATH=$T/lib exec openssl s_server -WWW -quiet \
	-accept 127.0.0.1:$PORT -cert "$T/cert.pem" -key "$T/key.pem" </dev/null >/dev/null 2>&1) &
SRV=$!
sleep 1

# The tracer's CPU time in ns (see bench/netrace.sh).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

# bpftrace's scripts: BPFTRACE_STRLEN=200, its most, bounds each buffer.
cat >"$T/write.bt" <<EOF
BEGIN { printf("attached\n"); }
uprobe:$LIB:SSL_write { printf("W %d %r\n", arg2, buf(arg1, arg2)); }
EOF
cat >"$T/rw.bt" <<EOF
BEGIN { printf("attached\n"); }
uprobe:$LIB:SSL_write { printf("W %d %r\n", arg2, buf(arg1, arg2)); }
uprobe:$LIB:SSL_read { @buf[tid] = arg1; }
uretprobe:$LIB:SSL_read /@buf[tid]/ {
	if ((int32)retval > 0) { printf("R %d %r\n", (int32)retval, buf(@buf[tid], (int32)retval)); }
	delete(@buf[tid]);
}
EOF

# tracer_start CONFIG: the tracer in the background (TRACER), 0 once attached.
tracer_start() {
	rm -f "$T/out" "$T/err"
	case $1 in
	none) return 0 ;;
	nflux) "$NFLUX" --log-format json tlstrace --lib "$LIB" $BENCH_TRACER_ARGS >>"${BENCH_OUT:-$T/out}" 2>"$T/err" &
		_pat='tlstrace: attached' _f=$T/err ;;
	bpftrace-*)
		[ -n "$BPFTRACE" ] || { echo "not installed" >"$T/why"; return 1; }
		BPFTRACE_STRLEN=200 "$BPFTRACE" "$T/${1#bpftrace-}.bt" >"$T/out" 2>"$T/err" &
		_pat='^attached' _f=$T/out ;;
	esac
	TRACER=$!
	_w=0
	until grep -q "$_pat" "$_f" 2>/dev/null; do
		if ! kill -0 $TRACER 2>/dev/null || [ $_w -ge 600 ]; then
			grep -v '^$' "$T/err" | grep -iv 'RLIMIT_MEMLOCK' | tail -n 1 | cut -c1-160 >"$T/why"
			[ -s "$T/why" ] || echo "did not attach" >"$T/why"
			stop_tracer
			return 1
		fi
		sleep 0.1
		_w=$((_w + 1))
	done
}

# One round: REQS downloads, under a shell that reads its own cutime +
# cstime once they are done (curl's CPU time); on stdout "SECONDS
# BYTES_SENT CURL_TICKS SERVER_NS".
downloads() {
	: >"$T/sizes"
	_v0=$(cpu_ns $SRV)
	_s=$(date +%s.%N)
	LD_LIBRARY_PATH=$T/lib sh -c 'n=$1 url=$2 out=$3 st=$4 i=0
		while [ $i -lt "$n" ]; do
			curl -sk -o /dev/null -w "%{size_request} %{size_header} %{size_download}\n" "$url" >>"$out" || exit 1
			i=$((i + 1))
		done
		sed "s/.*) //" /proc/$$/stat >"$st"' sh "$REQS" "https://127.0.0.1:$PORT/blob" "$T/sizes" "$T/curlstat" || return 1
	_e=$(date +%s.%N)
	_v1=$(cpu_ns $SRV)
	awk -v s="$_s" -v e="$_e" -v v=$((_v1 - _v0)) -v c="$(awk '{ print $14 + $15 }' "$T/curlstat")" \
		'{ b += $1 + $2 + $3 } END { printf "%.3f %d %d %d\n", e - s, b, c, v }' "$T/sizes"
}

# bench_round CONFIG: appends "ok CONFIG SECONDS SENT CURL_TICKS SERVER_NS
# CAPTURED LOST CPU_NS".
bench_round() {
	if ! tracer_start "$1"; then
		echo "na $1 $(cat "$T/why")" >>"$T/res"
		return
	fi
	_c0=
	[ -n "$TRACER" ] && _c0=$(cpu_ns $TRACER)
	_r=$(downloads) || { echo "bench/tlstrace.sh: curl failed" >&2; exit 1; }
	sleep 0.5 # the tracer drains
	_cpu=-
	[ -n "$_c0" ] && _cpu=$(($(cpu_ns $TRACER) - _c0))
	stop_tracer
	_cap=- _lost=-
	case $1 in
	nflux)
		_cap=$(awk '/bytes captured/ { print $1 }' "$T/err")
		_lost=$(awk '/bytes lost/ { print $1 }' "$T/err")
		[ -n "$BENCH_VERBOSE" ] && grep -v "^{" "$T/err" >&2 ;;
	bpftrace-*)
		# The bytes each "W|R LEN DATA" line shows: %r writes a byte
		# either as itself or as \xHH.
		_cap=$(awk '$1 == "W" || $1 == "R" { s = $0; sub(/^[WR] -?[0-9]+ /, "", s)
			n = length(s); x = gsub(/\\x[0-9a-f][0-9a-f]/, "", s); c += n - 3 * x } END { print c + 0 }' "$T/out")
		_lost=$(cat "$T/out" "$T/err" | awk '/Lost [0-9]+ events/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) { s += $i; break } } END { print s + 0 }')
		_lost="$_lost-events" ;;
	esac
	rm -f "$T/out"
	echo "ok $1 $_r ${_cap:--} ${_lost:--} $_cpu" >>"$T/res"
}

: >"$T/res"
. "$ROOT/bench/interleave.inc"
# shellcheck disable=SC2086
bench_interleave bench/tlstrace.sh "$ROUNDS" bench_round $CONFIGS

awk -v mib="$MIB" -v reqs="$REQS" -v rounds="$ROUNDS" -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" "$(cat "$ROOT/bench/stats.awk")"'
function median(list,   a, k) { k = sort(list, a); return k ? a[int((k + 1) / 2)] : "" }
function add(arr, k, v) { arr[k] = arr[k] " " v }
function ok(b) { return b ? "met" : "missed" }
# CPU per GiB (curl + s_server + tracer) untraced, against traced.
function rel_cpu(k,   t) { t = median(total[k]); return t ? 100 * cbase / t : 0 }
function pct(x) { return x >= 0.1 ? sprintf("%.3f", x) : sprintf("%.6f", x) }
$1 == "na" { k = $2; $1 = $2 = ""; sub(/^ +/, ""); why[k] = $0; next }
$1 == "ok" { k = $2; add(tp, k, $4 / $3 / 1048576); sent[k] += $4; gib = $4 / 1073741824
	w = ($5 / hz + $6 / 1e9) / gib; add(work, k, w)
	if ($7 != "-") { add(ratio, k, $7 / $4); cap[k] += $7 }
	if ($8 != "-") { l = $8; sub(/-events$/, "", l); lost[k] += l; if ($8 ~ /events/) lev[k] = 1 }
	tr = 0; if ($9 != "-") { tr = $9 / 1e9 / gib; add(cpu, k, tr) }
	add(total, k, w + tr) }
END {
	what["none"] = "no tracer"
	what["nflux"] = "nflux tlstrace --lib (JSON to a file)"
	what["bpftrace-write"] = "bpftrace: uprobe on SSL_write, printf of buf(arg1, arg2)"
	what["bpftrace-rw"] = "bpftrace: the same + SSL_read (uprobe + uretprobe), printf of the buffer read"
	printf "### tlstrace: curl downloads of %d MiB over HTTPS (loopback), %d per round, %d rounds\n\n", mib, reqs, rounds
	print "| tracer | throughput (wall clock), MiB/s, median (min–max) | vs no tracer: by CPU per GiB; by wall clock | bytes captured ÷ bytes sent (median) | lost, as the tracer reports it | tracer CPU s per GiB sent, median (min–max) | curl + s_server CPU s per GiB, median (min–max) |"
	print "|---|---:|---:|---:|---:|---:|---:|"
	base = median(tp["none"]); cbase = median(total["none"])
	split("none nflux bpftrace-write bpftrace-rw", rows, " ")
	for (i = 1; i <= 4; i++) {
		k = rows[i]
		if (k in why) { printf "| %s | %s | | | | | |\n", what[k], (why[k] ~ /not installed/ ? "not installed" : "cannot attach: " why[k]); continue }
		t = median(tp[k])
		printf "| %s | %.1f (%.1f–%.1f) | %.1f%%; %.1f%% | %s | %s | %s | %s |\n", what[k], t, lo(tp[k]), hi(tp[k]),
			rel_cpu(k), (base ? 100 * t / base : 0), (ratio[k] == "" ? "-" : pct(median(ratio[k]))),
			(k == "none" ? "-" : (lev[k] ? lost[k] " events" : lost[k] " bytes")),
			(cpu[k] == "" ? "-" : sprintf("%.2f (%.2f–%.2f)", median(cpu[k]), lo(cpu[k]), hi(cpu[k]))),
			sprintf("%.2f (%.2f–%.2f)", median(work[k]), lo(work[k]), hi(work[k]))
	}
	print ""
	print "eCapture is not in Debian; its users report about 20% lower throughput."
	print "bpftrace prints at most 200 bytes of a buffer (BPFTRACE_STRLEN); s_server -WWW writes through its SSL BIO, which calls no exported SSL_write: each byte is seen once, by curl'"'"'s SSL_write or SSL_read."
	print "By CPU per GiB: the untraced CPU time (curl + s_server) per GiB sent over the traced one (curl + s_server, whose CPU time holds the probes, + the tracer): the throughput on a machine with no CPU to spare; the wall clock follows whatever else the machine runs."
	r = median(ratio["nflux"]); rel = rel_cpu("nflux"); relw = base ? 100 * median(tp["nflux"]) / base : 0
	printf "\nTargets: nflux captures every byte sent, exactly once: %s (%s of the bytes, %d bytes lost); ", ok(sent["nflux"] > 0 && cap["nflux"] == sent["nflux"] && lost["nflux"] == 0), pct(r), lost["nflux"]
	printf "nflux costs less throughput than eCapture'"'"'s reported 20%%: %s (%.1f%% of the untraced throughput by CPU per GiB, %.1f%% by the wall clock).\n", ok(rel >= 80), rel, relw
}' "$T/res"

# What one probe hit costs here: the floor under any uprobe tracer's
# overhead (each TLS call takes two: entry and return).
if [ -x "$NFTOOL" ]; then
	t0=$(date +%s.%N)
	"$NFTOOL" probe uprobe -n 1000 >/dev/null 2>&1
	t1=$(date +%s.%N)
	"$NFTOOL" probe uprobe -n 101000 >/dev/null 2>&1
	t2=$(date +%s.%N)
	echo "$t0 $t1 $t2" | awk '{ printf "\nOne uprobe hit on this machine: %.1f us (nftool probe: 100000 extra calls).\n", (($3 - $2) - ($2 - $1)) * 10 }'
fi
