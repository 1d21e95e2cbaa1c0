#!/bin/sh
# tlstrace's cost to a TLS workload: a curl download loop over HTTPS on
# loopback (openssl s_server -WWW serving a file of BENCH_MIB MiB), with no
# tracer and with nflux tlstrace writing JSON to a file. Rounds alternate
# so that the machine's drift hits both rows alike; each row reports its
# median. Both peers load a private copy of libssl, the only file probed.
# Prints a markdown table. Needs root.
#
# Env: BENCH_MIB (default 4), BENCH_REQUESTS (20 per round), BENCH_ROUNDS (5).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NFLUX=${NFLUX:-$ROOT/build/nflux}
MIB=${BENCH_MIB:-4}
REQS=${BENCH_REQUESTS:-20}
ROUNDS=${BENCH_ROUNDS:-5}
LIBDIR=/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)

[ "$(id -u)" = 0 ] || { echo "bench/tlstrace.sh: needs root" >&2; exit 1; }
[ -x "$NFLUX" ] || { echo "bench/tlstrace.sh: build first (make bench)" >&2; exit 1; }
for t in openssl curl; do
	command -v $t >/dev/null || { echo "bench/tlstrace.sh: $t is not installed" >&2; exit 1; }
done
T=$(mktemp -d)
SRV= TRACER=
cleanup() {
	[ -n "$TRACER" ] && kill -INT "$TRACER" 2>/dev/null && wait "$TRACER" 2>/dev/null
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

mkdir "$T/lib" "$T/www"
cp "$LIBDIR/libssl.so.3" "$T/lib/"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
	-keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1
head -c $((MIB << 20)) /dev/urandom >"$T/www/blob"
PORT=$((47000 + $$ % 1000))
(cd "$T/www" && LD_LIBRARY_PATH=$T/lib exec openssl s_server -WWW -quiet \
	-accept 127.0.0.1:$PORT -cert "$T/cert.pem" -key "$T/key.pem" </dev/null >/dev/null 2>&1) &
SRV=$!
sleep 1

# One round: REQS downloads; prints the seconds they took.
round() {
	_s=$(date +%s.%N)
	_i=0
	while [ $_i -lt "$REQS" ]; do
		LD_LIBRARY_PATH=$T/lib curl -sk -o /dev/null "https://127.0.0.1:$PORT/blob" || return 1
		_i=$((_i + 1))
	done
	echo "$(date +%s.%N) $_s" | awk '{ printf "%.3f\n", $1 - $2 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$T/none" && : >"$T/traced"
r=0
while [ $r -lt "$ROUNDS" ]; do
	round >>"$T/none" || { echo "bench/tlstrace.sh: curl failed" >&2; exit 1; }
	rm -f "$T/tracer.err" # the last round's "attached" must not count
	"$NFLUX" --log-format json tlstrace --lib "$T/lib/libssl.so.3" $BENCH_TRACER_ARGS >>"${BENCH_OUT:-$T/events.json}" 2>"$T/tracer.err" &
	TRACER=$!
	_w=0
	until grep -q 'tlstrace: attached' "$T/tracer.err" 2>/dev/null; do
		sleep 0.1
		_w=$((_w + 1))
		[ $_w -gt 100 ] && { echo "bench/tlstrace.sh: tlstrace did not attach" >&2; exit 1; }
	done
	round >>"$T/traced" || { echo "bench/tlstrace.sh: curl failed" >&2; exit 1; }
	kill -INT "$TRACER"
	wait "$TRACER"
	TRACER=
	cat "$T/tracer.err" >>"$T/summaries"
	[ -n "$BENCH_VERBOSE" ] && grep -v "^{" "$T/tracer.err" >&2
	r=$((r + 1))
done

none=$(median <"$T/none")
traced=$(median <"$T/traced")
total=$((ROUNDS * REQS * MIB))
# Bytes the downloads carried (responses, as curl read them) vs captured.
captured=$(awk '/bytes captured/ { s += $1 } END { print s + 0 }' "$T/summaries")
lost=$(awk '/bytes lost/ { s += $1 } END { print s + 0 }' "$T/summaries")
echo "### tlstrace: curl downloads of $MIB MiB over HTTPS, $REQS per round, median of $ROUNDS rounds"
echo
echo "| tracer | seconds per round | MiB/s | relative throughput |"
echo "|---|---|---|---|"
awk -v n="$none" -v t="$traced" -v m=$((REQS * MIB)) 'BEGIN {
	printf "| none | %.3f | %.1f | 100.0%% |\n", n, m / n
	printf "| nflux tlstrace (JSON to a file) | %.3f | %.1f | %.1f%% |\n", t, m / t, 100 * n / t }'
echo
echo "Plaintext captured: $captured bytes ($lost lost) for $total MiB of responses plus requests."
# What one probe hit costs here: the floor under any uprobe tracer's
# overhead (each TLS call takes two: entry and return).
NFTOOL=${NFTOOL:-$ROOT/build/nftool}
if [ -x "$NFTOOL" ]; then
	t0=$(date +%s.%N)
	"$NFTOOL" probe uprobe -n 1000 >/dev/null 2>&1
	t1=$(date +%s.%N)
	"$NFTOOL" probe uprobe -n 101000 >/dev/null 2>&1
	t2=$(date +%s.%N)
	echo "$t0 $t1 $t2" | awk '{ printf "\nOne uprobe hit on this machine: %.1f us (nftool probe: 100000 extra calls).\n", (($3 - $2) - ($2 - $1)) * 10 }'
fi
