#!/bin/sh
# Run test programs and count their result lines (PASS/FAIL/SKIP).
# Usage: tests/run.sh [all|unit|host|qemu-only]
# Ends with "N passed, N failed, N skipped"; exits 1 on any failure.
mode=${1:-all}
B=${B:-build}
out=$(mktemp)
trap 'rm -f "$out" "$out.one" "$out.err" "$out.rc"' EXIT INT TERM

# run_one LABEL CMD...: prefix its result lines with LABEL; a crash or a
# non-zero exit with no FAIL line is itself a failure.
run_one() {
	label=$1
	shift
	"$@" >"$out.one" 2>"$out.err"
	rc=$?
	report "$label"
}

# run_streamed LABEL CMD...: run_one for long runs: their diagnostics
# (progress) are shown as they come, as well as kept.
run_streamed() {
	label=$1
	shift
	{ "$@" 2>&1 >"$out.one"; echo $? >"$out.rc"; } | tee "$out.err" >&2
	rc=$(cat "$out.rc")
	rm -f "$out.rc"
	report "$label" quiet
}

# report LABEL [quiet]: count the result lines of the run that just ended;
# quiet: its diagnostics were already shown.
report() {
	label=$1 quiet=${2:-}
	sed "s#^\(PASS\|FAIL\|SKIP\) #\1 $label: #" "$out.one" | grep -E '^(PASS|FAIL|SKIP) ' | tee -a "$out"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$out.one"; then
		echo "FAIL $label: exited $rc: $(tail -n 3 "$out.err" | tr '\n' ' ')" | tee -a "$out"
	fi
	if [ -z "$quiet" ] && { [ -n "$NF_TEST_VERBOSE" ] || [ $rc -ne 0 ]; }; then
		tail -n 20 "$out.err" | sed 's/^/    /'
	fi
	rm -f "$out.one" "$out.err"
}

is_root() { [ "$(id -u)" = 0 ]; }

if [ "$mode" = all ] || [ "$mode" = unit ]; then
	for t in "$B"/plain/unit/test_*; do
		[ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
	done
	for t in "$B"/asan/unit/test_*; do
		[ -x "$t" ] && ASAN_OPTIONS=detect_leaks=1 run_one "asan/$(basename "$t")" "$t"
	done
	for t in tests/unit/test_*.sh; do
		[ -f "$t" ] && run_one "unit/$(basename "$t" .sh)" sh "$t"
	done
	# libFuzzer harnesses: 20 s each in "all" (make test); "unit" only
	# replays their crash inputs and seeds.
	fz=0
	[ "$mode" = all ] && fz=${FUZZ_SECONDS:-20}
	B="$B" FUZZ_SECONDS=$fz sh tests/fuzz/run.sh | tee -a "$out"
fi

if [ "$mode" = all ] || [ "$mode" = host ]; then
	if is_root; then
		for t in "$B"/plain/host/test_*; do
			[ -x "$t" ] && run_one "host/$(basename "$t")" "$t"
		done
		for t in tests/host/test_*.sh; do
			[ -f "$t" ] && run_one "host/$(basename "$t" .sh)" sh "$t"
		done
	else
		echo "SKIP host: the root tests need root (run: sudo make test)" | tee -a "$out"
	fi
fi

if [ "$mode" = all ] || [ "$mode" = qemu-only ]; then
	if [ -f tests/qemu/run.sh ]; then
		if is_root; then
			run_streamed "qemu" sh tests/qemu/run.sh
		else
			echo "SKIP qemu: the kernel matrix needs root" | tee -a "$out"
		fi
	fi
	# make test also boots arm64 guests with the aarch64 build (the
	# Makefile builds it when NFLUX_TEST_ARM64 is not 0).
	if [ "$mode" = all ] && [ "${NFLUX_TEST_ARM64:-1}" != 0 ] && is_root; then
		if [ -x build/aarch64/nflux ]; then
			run_streamed "qemu-arm64" env B=build/aarch64 NFLUX_ARCH=aarch64 \
				LIBROOT=${NFLUX_ARM64_ROOT:-/var/cache/nflux/arm64/root} \
				KERNELS="${NFLUX_ARM64_KERNELS:-6.1 6.12 7.x}" NFLUX_QEMU_NOBTF=none \
				sh tests/qemu/run.sh
		else
			echo "FAIL qemu-arm64: build/aarch64/nflux is missing (make ARCH=aarch64)" | tee -a "$out"
		fi
	fi
fi

p=$(grep -c '^PASS ' "$out")
f=$(grep -c '^FAIL ' "$out")
s=$(grep -c '^SKIP ' "$out")
if [ "$f" -gt 0 ]; then
	echo
	echo "failures:"
	grep '^FAIL ' "$out"
fi
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
