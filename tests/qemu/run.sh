#!/bin/sh
# Kernel matrix: boot Debian cloud kernels under QEMU and run the netrace
# suite inside each. Run from the repository root, as root:
#   sh tests/qemu/run.sh                  (KERNELS="5.10 6.1 6.12 7.x" default)
#   KERNELS="6.1 7.x" sh tests/qemu/run.sh
# Prints "PASS <kernel>/<test>" / "FAIL <kernel>/<test>: why" lines (tests/run.sh
# adds the "qemu:" prefix), a "paths" line per kernel, and writes the
# kernel/path table to build/qemu/matrix.md. Logs: build/qemu/<kernel>.log.
# Env: NFLUX_QEMU_ACCEL (tcg), NFLUX_QEMU_TIMEOUT (600 s per boot),
#      NFLUX_QEMU_JOBS (2 boots at a time), NFLUX_QEMU_MEM (1024 MB), NFLUX_QEMU_NOBTF (kernel of the
#      extra boot without vmlinux BTF, default 6.1; "none" to skip),
#      NFLUX_QEMU_NOBTF_CASES / _MODES (suite cases and modes of that boot;
#      "all"),
#      NFLUX_QEMU_SUITES (tests/host/test_<name>.sh run in the guest:
#      "netrace"; add tlstrace once that suite runs under dash + busybox),
#      NFLUX_QEMU_APPEND (more kernel parameters, e.g. "nflux.cases=basic
#      nflux.modes=netlink nflux.watch=1": see tests/qemu/guest.sh),
#      NFLUX_ARCH=aarch64 (make test-qemu ARCH=aarch64: B=build/aarch64,
#      Debian's arm64 kernels under qemu-system-aarch64 -M virt, the guests'
#      busybox and peers from the arm64 root of tests/qemu/sysroot.sh, or
#      LIBROOT; NFLUX_QEMU_CPU, default max,pauth-impdef=on).
set -u

B=${B:-build}
KERNELS=${KERNELS:-5.10 6.1 6.12 7.x}
QARCH=${NFLUX_ARCH:-x86_64}
case "$QARCH" in
x86_64) QEMU=qemu-system-x86_64 MACHINE="" CONSOLE=ttyS0 KERNEL_ARCH="" ;;
aarch64)
	QEMU=qemu-system-aarch64 CONSOLE=ttyAMA0 KERNEL_ARCH="--arch arm64"
	# pauth-impdef: QEMU's own pointer-authentication hash, not QARMA
	# (which costs TCG most of its time on kernels that sign pointers).
	MACHINE="-M virt -cpu ${NFLUX_QEMU_CPU:-max,pauth-impdef=on}" ;;
*) echo "FAIL setup: NFLUX_ARCH=$QARCH: x86_64 or aarch64"; exit 1 ;;
esac
ACCEL=${NFLUX_QEMU_ACCEL:-tcg}
TIMEOUT=${NFLUX_QEMU_TIMEOUT:-600}
JOBS=${NFLUX_QEMU_JOBS:-2}
# 512 MB ran out of memory on 7.2 when the suite had several nflux (each
# with its ring buffer mapped) alive at once.
MEM=${NFLUX_QEMU_MEM:-1024}
NOBTF=${NFLUX_QEMU_NOBTF:-6.1}
# The no-BTF boot runs cases that load every program and exercise every
# protocol and filter, on the netlink path (the whole suite again would push
# the matrix past 10 minutes of TCG on 2 cores); "all" runs everything.
NOBTF_CASES=${NFLUX_QEMU_NOBTF_CASES:-basic filters ratelimit}
NOBTF_MODES=${NFLUX_QEMU_NOBTF_MODES:-netlink}
OUT=$B/qemu

say() { echo "qemu: $*" >&2; }

for f in "$B/nflux" "$B/nftool"; do
	if [ ! -x "$f" ]; then
		echo "FAIL setup: $f is missing (make all $B/nftool)"
		exit 1
	fi
done
for c in $QEMU cpio gzip dpkg-deb apt-get; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "FAIL setup: $c is missing (make deps)"
		exit 1
	fi
done

mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/*.cpio.gz "$OUT"/*.rc "$OUT"/*.secs
start=$(date +%s)

# kernels.sh prints "LABEL DIR" per kernel.
# shellcheck disable=SC2086 # KERNEL_ARCH: "--arch arm64" or nothing
if ! sh tests/qemu/kernels.sh $KERNEL_ARCH $KERNELS >"$OUT/kernels.list" 2>"$OUT/kernels.err"; then
	echo "FAIL fetch: $(tail -n 1 "$OUT/kernels.err")"
	cat "$OUT/kernels.err" >&2
	exit 1
fi

# Test payload: /t mirrors the repository layout inside the guest.
EXTRA="$B/nflux:/t/build/nflux $B/nftool:/t/build/nftool tests/qemu/guest.sh:/t/tests/qemu/guest.sh"
for f in tests/host/*.sh; do
	[ -f "$f" ] && EXTRA="$EXTRA $f:/t/$f"
done
# iproute2 for veth pairs and network namespaces (busybox ip lacks both),
# and dash to run the suites: busybox sh would pick its own ip applet.
# TLS peers for the tlstrace suite (dynamic: build.sh adds their libraries).
peers="ip tc dash"
[ -f tests/host/test_tlstrace.sh ] && peers="$peers openssl curl"
# Another architecture's guests take them, and busybox, from its Debian
# root (initramfs/build.sh reads LIBROOT).
if [ "$QARCH" != x86_64 ]; then
	LIBROOT=${LIBROOT:-$(sh tests/qemu/sysroot.sh arm64)} || { echo "FAIL setup: no arm64 root (make deps ARCH=aarch64)"; exit 1; }
	export LIBROOT
fi
# where command $1 is: on the host, or in the other architecture's root
find_peer() {
	if [ -z "${LIBROOT:-}" ]; then
		command -v "$1" 2>/dev/null
		return
	fi
	for d in /usr/bin /bin /usr/sbin /sbin; do
		[ -x "$LIBROOT$d/$1" ] && { echo "$LIBROOT$d/$1"; return 0; }
	done
	return 1
}
for c in $peers; do
	p=$(find_peer "$c") && EXTRA="$EXTRA $p:/usr/$(basename "$(dirname "$p")")/$c"
done
SUITES=${NFLUX_QEMU_SUITES:-netrace tlstrace}

# A job: "LABEL DIR APPEND-EXTRA".
jobs_file=$OUT/jobs
: >"$jobs_file"
# Newest first: kernels with tcx run the suite twice (tcx and netlink), so
# the long boots start first and the short ones fill in behind them.
sort -t. -k1,1nr -k2,2nr "$OUT/kernels.list" >"$jobs_file"
nobtf_dir=$(awk -v k="$NOBTF" '$1 == k { print $2 }' "$OUT/kernels.list")
if [ -n "$nobtf_dir" ]; then
	cases=
	[ "$NOBTF_CASES" = all ] || cases="nflux.cases=$(echo $NOBTF_CASES | tr ' ' ,)"
	[ "$NOBTF_MODES" = all ] || cases="$cases nflux.modes=$(echo $NOBTF_MODES | tr ' ' ,)"
	echo "$NOBTF-nobtf $nobtf_dir nflux.nobtf=1 $cases" >>"$jobs_file"
fi

# boot LABEL DIR [APPEND]: build the image, boot it with a hard timeout.
boot() {
	label=$1 dir=$2 extra_append=${3:-}
	img=$OUT/$label.cpio.gz log=$OUT/$label.log
	t0=$(date +%s)
	if ! sh initramfs/build.sh "$img" "$B/nflux" "$dir/modules" "$EXTRA" 2>"$log"; then
		echo 98 >"$OUT/$label.rc"
		return
	fi
	# shellcheck disable=SC2086 # MACHINE: machine and cpu options, or nothing
	timeout -s KILL "$TIMEOUT" $QEMU -accel "$ACCEL" $MACHINE -m "$MEM" -smp 1 \
		-nographic -no-reboot -net none -kernel "$dir/vmlinuz" -initrd "$img" \
		-append "console=$CONSOLE panic=-1 quiet nflux.test=/t/tests/qemu/guest.sh nflux.suites=$(echo $SUITES | tr ' ' ,) $extra_append ${NFLUX_QEMU_APPEND:-}" \
		</dev/null >>"$log" 2>&1
	echo $? >"$OUT/$label.rc"
	echo $(($(date +%s) - t0)) >"$OUT/$label.secs"
}

# Run the jobs, at most $JOBS at a time.
running=""
while read -r label dir extra; do
	while [ "$(echo $running | wc -w)" -ge "$JOBS" ]; do
		sleep 1
		still=""
		for p in $running; do
			kill -0 "$p" 2>/dev/null && still="$still $p"
		done
		running=$still
	done
	say "booting $label ($(cat "$dir/version"))"
	boot "$label" "$dir" "$extra" &
	running="$running $!"
done <"$jobs_file"
wait

# ---- collect results from each serial console log ----------------------
matrix=$OUT/matrix.md
{
	echo "| kernel | version | TC attach | events | uprobe attach | BTF kinds sanitised | result | boot s |"
	echo "|---|---|---|---|---|---|---|---|"
} >"$matrix"
while read -r label dir extra; do
	log=$OUT/$label.log
	rc=$(cat "$OUT/$label.rc" 2>/dev/null || echo "?")
	tr -d '\r' <"$log" >"$log.txt"
	grep -E '^(PASS|FAIL|SKIP) ' "$log.txt" | sed "s|^\([A-Z]*\) |\1 $label/|"
	summary=$(grep '^GUEST-SUMMARY ' "$log.txt" | tail -n 1)
	paths=$(grep '^NFLUX-PATHS ' "$log.txt" | tail -n 1 | sed 's/^NFLUX-PATHS //')
	result=FAIL
	if [ "$rc" = 98 ]; then
		echo "FAIL $label: initramfs build failed: $(tail -n 1 "$log")"
	elif [ -z "$summary" ]; then
		why="no guest summary"
		[ "$rc" = 137 ] && why="$why: killed after ${TIMEOUT}s (hang)"
		grep -q 'Kernel panic' "$log.txt" && why="$why: kernel panic"
		last=$(grep -E '^(PASS|FAIL|SKIP) ' "$log.txt" | tail -n 1 | cut -d' ' -f2)
		[ -n "$last" ] && why="$why; last result before it: $last"
		echo "FAIL $label: $why (log: $log)"
		tail -n 25 "$log.txt" | sed 's/^/    /' >&2
	elif echo "$summary" | grep -q ' failed=0 '; then
		# The guest's own results were counted above: no extra PASS.
		say "$label: $summary"
		result=PASS
	else
		echo "FAIL $label: $summary (log: $log)"
	fi
	[ -n "$paths" ] && say "$label paths: $paths"
	val() { echo " $paths" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
	echo "| $label | $(cat "$dir/version") | $(val attach) | $(val events) | $(val uprobe) |" \
		"$(val btf-sanitised) | $result | $(cat "$OUT/$label.secs" 2>/dev/null) |" >>"$matrix"
	rm -f "$log.txt"
done <"$jobs_file"
say "matrix in $(($(date +%s) - start)) s; table: $matrix"
cat "$matrix" >&2
! grep -q '| FAIL |' "$matrix"
