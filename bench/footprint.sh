#!/bin/sh
# Footprint: nflux's stripped static binary against tcpdump (its binary
# plus the shared libraries ldd lists), and peak RSS (VmHWM of
# /proc/PID/status) of nflux netrace and tcpdump on a veth: idle (attached,
# no traffic, 2 s) and after a 64-byte UDP flood; for nflux also the idle
# RSS without its ring buffer, whose pages the kernel maps into the reader
# at mmap time, the data pages twice (what /proc/PID/smaps gives the
# anon_inode:bpf-map / bpf-ringbuf mappings of the ring). Configurations are
# interleaved; each cell is the median of the rounds. Prints markdown
# tables. Needs root.
#
# KB and MB here are 1000 and 1000000 bytes; /proc's "kB" are KiB.
# Env: BENCH_PACKETS (default 200000 per flood), BENCH_ROUNDS (5; at most
# 3 rounds are run: RSS varies little).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NFLUX=${NFLUX:-$ROOT/build/nflux}
NFTOOL=${NFTOOL:-$ROOT/build/nftool}
. "$ROOT/tests/host/lib.sh"

N=${BENCH_PACKETS:-200000}
ROUNDS=${BENCH_ROUNDS:-5}
[ "$ROUNDS" -gt 3 ] && ROUNDS=3
PORT=9000
CONFIGS="nflux-json nflux-pcap tcpdump-text tcpdump-pcap"

[ "$(id -u)" = 0 ] || { echo "bench/footprint.sh: needs root" >&2; exit 1; }
[ -x "$NFLUX" ] && [ -x "$NFTOOL" ] || { echo "bench/footprint.sh: build first (make bench)" >&2; exit 1; }
TCPDUMP=$(command -v tcpdump)
P=
trap '[ -n "$P" ] && kill -KILL $P 2>/dev/null; nf_teardown' EXIT
trap 'exit 1' INT TERM HUP PIPE
nf_setup || { echo "bench/footprint.sh: network namespace set-up failed" >&2; exit 1; }

# ---- binaries ---------------------------------------------------------------

# The size of FILE stripped: FILE's own when file(1) says it is (the build
# strips it), else a stripped copy's (FILE's when no strip can read it).
stripped_size() {
	file -b "$1" 2>/dev/null | grep -q ', stripped' && { stat -c %s "$1"; return; }
	rm -f "$NF_TMP/stripped"
	for _s in llvm-strip strip; do
		command -v $_s >/dev/null && $_s -o "$NF_TMP/stripped" "$1" 2>/dev/null && break
		rm -f "$NF_TMP/stripped"
	done
	[ -f "$NF_TMP/stripped" ] && stat -c %s "$NF_TMP/stripped" || stat -c %s "$1"
}

echo "### Footprint: binary size (KB = 1000 bytes)"
echo
echo "| binary | bytes | KB | linking |"
echo "|---|---:|---:|---|"
SIZES=
for b in "$ROOT/build/nflux" "$ROOT/build/aarch64/nflux"; do
	[ -f "$b" ] || continue
	s=$(stripped_size "$b")
	arch=$(file -b "$b" 2>/dev/null | sed -n 's/^ELF [^,]*, \([^,]*\),.*/\1/p')
	echo "| ${b#"$ROOT"/} (stripped${arch:+, $arch}) | $s | $(awk -v s="$s" 'BEGIN { printf "%.1f", s / 1000 }') | static |"
	SIZES="$SIZES ${b#"$ROOT"/}=$s"
done
if [ -n "$TCPDUMP" ]; then
	t=$(stat -L -c %s "$TCPDUMP")
	# ldd: "name => /path (0x..)" and the loader's "/path (0x..)".
	libs=$(ldd "$TCPDUMP" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
	nl=0 ls=0
	for l in $libs; do nl=$((nl + 1)) ls=$((ls + $(stat -L -c %s "$l"))); done
	echo "| $TCPDUMP | $t | $(awk -v s="$t" 'BEGIN { printf "%.1f", s / 1000 }') | dynamic |"
	echo "| … with the $nl shared libraries ldd lists (libpcap, libcrypto, libc, …; shared with other programs) | $((t + ls)) | $(awk -v s=$((t + ls)) 'BEGIN { printf "%.1f", s / 1000 }') | |"
else
	echo "| tcpdump | not installed | | |"
fi
echo
printf 'Targets: '
first=1
for kv in $SIZES; do
	[ $first = 1 ] || printf '; '
	first=0
	awk -v n="${kv%%=*}" -v s="${kv#*=}" 'BEGIN { printf "%s at most 300 KB: %s (%.1f KB)", n, s <= 300000 ? "met" : "missed", s / 1000 }'
done
echo "."
echo

# ---- RSS ----------------------------------------------------------------------

kib() { awk -v k="$2" '$1 == k ":" { print $2 }' "/proc/$1/status"; }
# ring_kib PID RING_KIB: Rss (KiB) of the ring's mappings in PID: the
# producer page + data (mapped twice), 2 * RING + 4 KiB long, read-only, and
# the consumer page (4 KiB, read-write, offset 0).
ring_kib() {
	awk -v ring="$2" '
	/^[0-9a-f]+-[0-9a-f]+ / {
		split($1, r, "-"); sz = (hex(r[2]) - hex(r[1])) / 1024
		ring_map = ($6 ~ /bpf-(map|ringbuf)/) && ((sz >= 2 * ring && $2 ~ /^r--s/) || (sz == 4 && $2 ~ /^rw-s/ && $3 == "00000000" && !cons++))
	}
	/^Rss:/ && ring_map { s += $2 }
	function hex(x,   i, v) { x = tolower(x); v = 0; for (i = 1; i <= length(x); i++) v = v * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1; return v }
	END { print s + 0 }' "/proc/$1/smaps"
}

rss_start() { # CONFIG: the logger on vA in ns1, P its pid; 0 once attached
	P=
	case $1 in
	nflux-json) NF_FORMAT=json nf_start ;;
	nflux-pcap) rm -f "$NF_TMP/x.pcapng"; nf_start -w "$NF_TMP/x.pcapng" ;;
	tcpdump-*)
		[ -n "$TCPDUMP" ] || return 1
		rm -f "$NF_TMP/td.err"
		if [ "$1" = tcpdump-text ]; then
			"$NF_IP" netns exec "$NS1" "$TCPDUMP" -Z root -i vA -n -l udp port $PORT >"$NF_TMP/td.out" 2>"$NF_TMP/td.err" &
		else
			"$NF_IP" netns exec "$NS1" "$TCPDUMP" -Z root -i vA -n -w "$NF_TMP/td.pcap" udp port $PORT 2>"$NF_TMP/td.err" &
		fi
		P=$!
		nf_wait_file "$NF_TMP/td.err" 'listening on' 10
		return ;;
	esac
	P=$NF_PID
	nf_wait_attached
}

rss_stop() {
	kill -INT $P 2>/dev/null
	nf_wait_gone $P 30 || kill -KILL $P 2>/dev/null
	wait $P 2>/dev/null
	P= NF_PID=
}

# rss_round CONFIG: appends "CONFIG IDLE_HWM IDLE_RSS RING_RSS RING_KIB FLOOD_HWM".
rss_round() {
	rss_start "$1" || { echo "na $1" >>"$NF_TMP/res"; [ -n "$P" ] && rss_stop; return; }
	sleep 2
	_ih=$(kib $P VmHWM) _ir=$(kib $P VmRSS) _rk=- _rr=-
	case $1 in
	nflux-*)
		_rk=$(sed -n 's/.*ring buffer, \([0-9]*\) KiB.*/\1/p' "$NF_ERR" | head -n 1)
		_rr=$(ring_kib $P "${_rk:-0}") ;;
	esac
	rm -f "$NF_TMP/sink"
	"$NF_IP" netns exec "$NS1" "$NFTOOL" sink --port $PORT --count "$N" --timeout 20 >"$NF_TMP/sink" 2>&1 &
	_s=$!
	nf_wait_file "$NF_TMP/sink" listening 5
	ip netns exec "$NS2" "$NFTOOL" send udp --src "$B4" --dst "$A4" --sport 5000 --dport $PORT \
		--count "$N" --size 22 >/dev/null
	wait $_s
	sleep 1.2
	_fh=$(kib $P VmHWM)
	rss_stop
	echo "$1 $_ih $_ir $_rr ${_rk:--} $_fh" >>"$NF_TMP/res"
}

: >"$NF_TMP/res"
. "$ROOT/bench/interleave.inc"
# shellcheck disable=SC2086
bench_interleave bench/footprint.sh "$ROUNDS" rss_round $CONFIGS

awk -v rounds="$ROUNDS" -v n="$N" "$(cat "$ROOT/bench/stats.awk")"'
function median(list,   a, k) { k = sort(list, a); return k ? a[int((k + 1) / 2)] : "" }
function add(arr, k, v) { if (v != "-" && v != "") arr[k] = arr[k] " " v }
function mb(k) { return sprintf("%.2f", k * 1024 / 1e6) }
$1 == "na" { na[$2] = 1; next }
{ add(ih, $1, $2); add(ir, $1, $3); add(rr, $1, $4); add(rk, $1, $5); add(fh, $1, $6)
	if ($4 != "-") { add(ex, $1, $2 - $4); add(exr, $1, $3 - $4) } }
END {
	what["nflux-json"] = "nflux netrace --log-format json > file"
	what["nflux-pcap"] = "nflux netrace -w file"
	what["tcpdump-text"] = "tcpdump -n -l > file"
	what["tcpdump-pcap"] = "tcpdump -w file"
	printf "### Footprint: memory of the logger on a veth (KiB from /proc; MB = 10^6 bytes; median of %d rounds)\n\n", rounds
	print "| logger | idle peak RSS (VmHWM) | idle peak RSS without the ring | idle RSS (VmRSS) without the ring | ring: size, Rss of its mappings | peak RSS after a flood of " n " packets |"
	print "|---|---:|---:|---:|---:|---:|"
	split("nflux-json nflux-pcap tcpdump-text tcpdump-pcap", rows, " ")
	for (i = 1; i <= 4; i++) {
		k = rows[i]
		if (na[k]) { print "| " what[k] " | not installed | | | | |"; continue }
		printf "| %s | %d KiB (%s MB) | %s | %s | %s | %d KiB (%s MB) |\n", what[k], median(ih[k]), mb(median(ih[k])),
			ex[k] == "" ? "-" : sprintf("%d KiB (%s MB)", median(ex[k]), mb(median(ex[k]))),
			exr[k] == "" ? "-" : sprintf("%d KiB (%s MB)", median(exr[k]), mb(median(exr[k]))),
			rk[k] == "" ? "-" : sprintf("%d KiB, %d KiB", median(rk[k]), median(rr[k])),
			median(fh[k]), mb(median(fh[k]))
	}
	printf "\nTargets: idle RSS at most 2 MB without the ring: "
	for (i = 1; i <= 2; i++) {
		k = rows[i]; v = median(ex[k])
		printf "%s%s %s (%s MB peak)", (i > 1 ? "; " : ""), what[k], (v != "" && v * 1024 <= 2e6 ? "met" : "missed"), mb(v)
	}
	print "."
	print "tcpdump'"'"'s RSS is mostly its shared libraries'"'"' pages (file-backed, shared with other processes), its packet ring included; nflux'"'"'s ring is left out only where it says so."
}' "$NF_TMP/res"
