#!/bin/sh
# Run the libFuzzer harnesses (tests/fuzz/fuzz_*.c, built by make
# fuzz-build into $B/fuzz). Each first replays its crash inputs
# (tests/fuzz/regress/NAME/), then fuzzes for $FUZZ_SECONDS from its seed
# corpus ($B/fuzz/seeds/NAME, built) and its working corpus
# ($B/fuzz/corpus/NAME, kept between runs); FUZZ_SECONDS=0 only replays the
# regressions and the seeds. $FUZZ_JOBS (default 2) run at a time.
# Prints one "PASS fuzz/NAME", "FAIL fuzz/NAME: why" or "SKIP fuzz/NAME:
# why" line per harness; a crash input found is in $B/fuzz/crash/NAME/:
# fix the bug and keep the input in tests/fuzz/regress/NAME/.
B=${B:-build}
secs=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-2}
FZ=$B/fuzz
dir=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

names=$(for f in "$dir"/fuzz_*.c; do basename "$f" .c | sed 's/^fuzz_//'; done)

rt="$(${CLANG:-clang} -print-resource-dir 2>/dev/null)/lib/linux/libclang_rt.fuzzer-$(uname -m).a"
if [ ! -f "$rt" ]; then
	echo "SKIP fuzz: no libFuzzer runtime ($rt; Debian: libclang-rt-14-dev, make deps)"
	exit 0
fi
if ! ls "$FZ"/fuzz_* >/dev/null 2>&1; then
	echo "SKIP fuzz: the harnesses are not built (make fuzz-build; make test builds them)"
	exit 0
fi

# why LOG: the first line that names the crash.
why() {
	line=$(grep -m1 -E 'runtime error: |ERROR: libFuzzer: |==ERROR: ' "$1")
	[ -n "$line" ] || line=$(tail -n 1 "$1")
	echo "$line" | sed 's/^==[0-9]*==//'
}

# one NAME: the result line of one harness, in $tmp/NAME.res.
one() {
	n=$1 bin=$FZ/fuzz_$1 log=$tmp/$1.log
	if [ ! -x "$bin" ]; then
		echo "SKIP fuzz/$n: not built (make fuzz-build; make test builds it)" >"$tmp/$n.res"
		return
	fi
	regress=$(ls "$dir/regress/$n/"* 2>/dev/null)
	if [ -n "$regress" ]; then
		# shellcheck disable=SC2086
		if ! "$bin" -timeout=10 $regress >"$log" 2>&1; then
			echo "FAIL fuzz/$n: a regression input crashes again: $(why "$log")" >"$tmp/$n.res"
			return
		fi
	fi
	mkdir -p "$FZ/corpus/$n" "$FZ/crash/$n" "$FZ/seeds/$n"
	if [ "$secs" -gt 0 ]; then
		set -- -max_total_time="$secs" "$FZ/corpus/$n"
	else
		set -- -runs=0
	fi
	if "$bin" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$FZ/crash/$n/" "$@" "$FZ/seeds/$n" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		nreg=$(echo "$regress" | grep -c .)
		if [ "$secs" -gt 0 ]; then
			what="${runs:-0} inputs in $secs s"
		else
			what="${runs:-0} seeds"
		fi
		echo "PASS fuzz/$n: $what, $nreg crash inputs replayed" >"$tmp/$n.res"
	else
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | head -n 1)
		echo "FAIL fuzz/$n: $(why "$log")${art:+ (input: $art)}" >"$tmp/$n.res"
		sed -n '/runtime error: \|ERROR: /,$p' "$log" | head -n 40 | sed 's/^/    /' >&2
	fi
}

running=0
for n in $names; do
	[ "$secs" -gt 0 ] && echo "fuzz: $n for $secs s" >&2
	one "$n" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait
for n in $names; do
	cat "$tmp/$n.res"
done
! grep -q '^FAIL ' "$tmp"/*.res
