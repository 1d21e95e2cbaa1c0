#!/bin/sh
# make bench: every bench/*.sh but this one, each printing markdown tables.
# Benches compare ratios inside one run; absolute numbers vary by machine.
# The tables go to stdout and, headed by the date and the machine, to
# bench/results/LAST.md (replaced at the end of the run; progress and
# errors stay on stderr). Env: BENCH_ROUNDS (default 5) and each bench's own.
cd "$(dirname "$0")/.." || exit 1
mkdir -p bench/results || exit 1
LAST=bench/results/LAST.md
TMP=$(mktemp) || exit 1
trap 'rm -f "$TMP" "$TMP.b"' EXIT
trap 'exit 1' INT TERM HUP PIPE

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
[ -n "$cpu" ] || cpu=$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ { print $2; exit }')
cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
{
	echo "## Latest benchmark: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "Machine: Linux $(uname -r) ($(uname -m)), ${cpu:-unknown CPU}, $cores cores, $mem of memory;"
	echo "$(build/nflux -V 2>/dev/null | head -n 1), ${BENCH_ROUNDS:-5} rounds (\`BENCH_ROUNDS\`); load average at the start $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
} | tee "$TMP"

rc=0
for b in bench/*.sh; do
	[ "$b" = bench/run.sh ] && continue
	sh "$b" >"$TMP.b" || { rc=1; echo "bench/run.sh: $b failed" >&2; }
	cat "$TMP.b"
	echo
	{ cat "$TMP.b"; echo; } >>"$TMP"
done
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 minutes)." | tee -a "$TMP"
cat "$TMP" >"$LAST" && echo "bench/run.sh: tables also in $LAST" >&2
exit $rc
