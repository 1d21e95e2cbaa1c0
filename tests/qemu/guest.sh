#!/bin/sh
# Runs inside a QEMU guest (busybox sh), started by the initramfs init with
# nflux.test=/t/tests/qemu/guest.sh. /t mirrors the repository layout:
# build/nflux, build/nftool, tests/host/*.sh, tests/qemu/*.sh.
# Prints result lines (PASS/FAIL/SKIP name), one "NFLUX-PATHS" line, and a
# final "GUEST-SUMMARY passed=N failed=N skipped=N".
# Kernel command line: nflux.nobtf=1 hides /sys/kernel/btf/vmlinux first.
# Busybox sh runs its own applets before PATH (so "ip" would be busybox's,
# without netns): run under dash, the host's sh, when the image has it.
if [ -z "${NF_GUEST_SHELL:-}" ] && [ -x /usr/bin/dash ]; then
	NF_GUEST_SHELL=dash exec /usr/bin/dash "$0" "$@"
fi
cd /t || exit 1
PATH=/t/build:$PATH
export PATH
NFLUX=/t/build/nflux
res=/tmp/guest-results
: >"$res"

pass() { echo "PASS $*" | tee -a "$res"; }
fail() { echo "FAIL $*" | tee -a "$res"; }
skip() { echo "SKIP $*" | tee -a "$res"; }

# ---- kernel version and the feature table (tests/qemu/README) ----------
kver=$(uname -r)
kv=$(echo "$kver" | awk -F'[.-]' '{ printf "%d", $1 * 1000 + $2 }')
echo "GUEST-BEGIN kernel=$kver"

# feature minimum-version: "name version" (the loader's probe names)
FEATURES="ringbuf 5.8
tcx 6.6
perf_link 5.15
global_data 5.2
mmapable 5.5
probe_read_user 5.5
func_info 5.0
btf 4.18
func 5.0
func_global 5.6
datasec 5.2
float 5.13
decl_tag 5.16
type_tag 5.17
enum64 6.0
empty_datasec 5.12"

vnum() { echo "$1" | awk -F. '{ printf "%d", $1 * 1000 + $2 }'; }

# ---- modules (the init loaded them; check they are really there) --------
for m in sch_ingress cls_bpf veth; do
	if [ -f "/lib/modules/$m.ko" ] && ! grep -q "^$m " /proc/modules; then
		fail "modules/$m: in the image but not loaded"
	else
		pass "modules/$m"
	fi
done

# ---- no-BTF run --------------------------------------------------------
if grep -q 'nflux.nobtf=1' /proc/cmdline; then
	: >/tmp/empty
	if [ -e /sys/kernel/btf/vmlinux ] && mount --bind /tmp/empty /sys/kernel/btf/vmlinux &&
		[ ! -s /sys/kernel/btf/vmlinux ]; then
		pass "nobtf/hidden"
	else
		fail "nobtf/hidden: could not hide /sys/kernel/btf/vmlinux"
	fi
	# A kernel built without BTF cannot type a global function's
	# context, and netrace's become static; this kernel still has its
	# BTF inside, so the switch takes that path here.
	export NFLUX_FORCE_STATIC_FUNCS=1
fi

# ---- perf events: real probes through nftool probe ---------------------
# Each attaches the way nflux does (loader/attach/perf_event.h) to nftool
# itself and must count exactly; the plain uprobe's path (perf link or
# ioctl) is the matrix's "uprobe attach" column and must be the one the
# probe chose ($1). Forced --ioctl runs must take the ioctl. A kernel without
# the kprobe PMU or tracefs skips those (exit 3); uprobes must work on all.
perf_probes() {
	uprobe_path=FAIL
	for args in "uprobe" "uprobe --ioctl" "uprobe --all" "uretprobe" "uretprobe --ioctl" \
		"kprobe" "kretprobe --ioctl" "tracepoint" "tracepoint --ioctl --all"; do
		name="perf-event/$(echo "$args" | sed 's/ --/-/g')"
		# shellcheck disable=SC2086 # split "kind options"
		out=$(nftool probe $args -n 1000 2>/tmp/probe.err)
		rc=$?
		path=$(echo "$out" | sed -n 's/.* path=\([a-z_]*\).*/\1/p')
		case "$rc:$args" in
		0:*--ioctl*) if [ "$path" = ioctl ]; then pass "$name $out"; else
			fail "$name: forced onto the ioctl but took $path"; fi ;;
		0:*) pass "$name $out" ;;
		3:k* | 3:t*) skip "$name: $(cat /tmp/probe.err)" ;;
		*) fail "$name: exit $rc: $out $(cat /tmp/probe.err)" ;;
		esac
		[ "$args" = uprobe ] && [ "$rc" = 0 ] && uprobe_path=$path
	done
	if [ "$uprobe_path" = "$1" ]; then pass "perf-event/uprobe-path-matches-probe $uprobe_path"; else
		fail "perf-event/uprobe-path-matches-probe: the uprobe attached via $uprobe_path, the probe says $1"; fi
}

# ---- paths: run netrace briefly on a veth and read the debug log --------
paths() {
	ip link add nfq0 type veth peer name nfq1 || { fail "paths/veth: ip link add failed"; return; }
	ip link set nfq0 up && ip link set nfq1 up
	"$NFLUX" --log-level debug netrace -i nfq0 >/tmp/paths.out 2>/tmp/paths.err &
	pid=$!
	i=0
	while [ $i -lt 60 ] && ! grep -q 'attached .* egress' /tmp/paths.err; do
		kill -0 $pid 2>/dev/null || break
		sleep 0.5
		i=$((i + 1))
	done
	progs=$(nftool progs 2>/dev/null | wc -l)
	kill $pid 2>/dev/null
	wait $pid
	ip link del nfq0 2>/dev/null
	sed 's/^/  nflux: /' /tmp/paths.err
	feat=$(grep -h 'features:' /tmp/paths.err | sed 's/.*features: //' | tr '\n' ' ')
	if [ -z "$feat" ]; then
		fail "paths/features: no 'features:' debug line from nflux"
		return
	fi
	pass "paths/features"
	attach=$(sed -n 's/.*attached .*(\(tcx\|netlink\)).*/\1/p' /tmp/paths.err | sort -u | tr '\n' ' ' | sed 's/ $//')
	case "$attach" in
	tcx | netlink) pass "paths/attach $attach" ;;
	*) fail "paths/attach: no single 'attached ... (tcx|netlink)' path: '$attach'"; attach=none ;;
	esac
	if [ "$progs" -gt 0 ]; then pass "paths/progs-listed"; else
		fail "paths/progs-listed: nftool progs listed nothing"; fi
	val() { echo " $feat" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
	for row in $(echo "$FEATURES" | tr ' ' ':'); do
		name=${row%%:*} since=${row#*:}
		v=$(val "$name")
		if [ -z "$v" ]; then
			fail "probe/$name: not in the features lines"
		elif [ "$v" = 1 ]; then
			pass "probe/$name=1"
		elif [ "$kv" -ge "$(vnum "$since")" ]; then
			fail "probe/$name: says unsupported on $kver (in the kernel since $since)"
		else
			pass "probe/$name=0 (before $since)"
		fi
	done
	# The paths that must be taken; tcx/ringbuf/perf link are never
	# backported to these Debian kernels, so the old ones must fall back.
	want_attach=netlink want_events=perfbuf want_link=ioctl
	[ "$(val tcx)" = 1 ] && want_attach=tcx
	[ "$(val ringbuf)" = 1 ] && want_events=ringbuf
	[ "$(val perf_link)" = 1 ] && want_link=perf_link
	for p in "tcx 6.6 $want_attach tcx netlink" "ringbuf 5.8 $want_events ringbuf perfbuf" \
		"perf_link 5.15 $want_link perf_link ioctl"; do
		# shellcheck disable=SC2086 # split "feature version chosen new old"
		set -- $p
		if [ "$kv" -lt "$(vnum "$2")" ] && [ "$3" = "$4" ]; then
			fail "fallback/$1: $kver is older than $2 but the probe says supported"
		else
			pass "fallback/$1 $3"
		fi
	done
	if [ "$attach" = "$want_attach" ]; then pass "fallback/attach-matches-probe"; else
		fail "fallback/attach-matches-probe: attached via $attach, probe says $want_attach"; fi
	san=""
	for k in func func_global datasec float decl_tag type_tag enum64; do
		[ "$(val "$k")" = 0 ] && san="$san,$k"
	done
	san=${san#,}
	btfsrc=vmlinux
	[ -s /sys/kernel/btf/vmlinux ] || btfsrc=none
	# Kernels before tcx run the whole suite on the netlink path; on tcx
	# kernels the forced netlink run takes the cases that attach, detach
	# and clean up (the host runs it whole), to keep the matrix short.
	if [ "$attach" = tcx ] && [ -z "$NF_NETLINK_CASES" ]; then
		export NF_NETLINK_CASES="basic ratelimit filters count coexist cleanup"
	fi
	perf_probes "$want_link"
	echo "NFLUX-PATHS kernel=$kver attach=$attach events=$want_events uprobe=$uprobe_path btf-sanitised=${san:-none} vmlinux-btf=$btfsrc"
}
paths

# ---- the netrace suite (same script as on the host) --------------------
# nflux.cases=a,b / nflux.modes=netlink on the kernel command line select a
# subset (NF_CASES / NF_MODES of the suite); nflux.watch=1 prints the state
# of every nflux process each 5 s (to see where a hang sits).
param() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tr ',' ' '; }
c=$(param nflux.cases) && [ -n "$c" ] && export NF_CASES="$c" NF_NETLINK_CASES="$c"
m=$(param nflux.modes) && [ -n "$m" ] && export NF_MODES="$m"
watch_pid=
if [ -n "$(param nflux.watch)" ]; then
	while sleep 5; do
		for p in $(pidof nflux); do
			echo "  watch: nflux $p state=$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" \
				"wchan=$(cat "/proc/$p/wchan" 2>/dev/null)" \
				"cpu=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null)"
		done
	done &
	watch_pid=$!
fi
# nflux.suites=netrace,tlstrace: the tests/host/test_<name>.sh suites to run.
suites=$(param nflux.suites)
for s in ${suites:-netrace}; do
	t=tests/host/test_$s.sh
	name=test_$s
	if [ ! -f "$t" ]; then
		skip "$name: $t is not in this build"
		continue
	fi
	echo "  suite: $t cases=${NF_CASES:-all} netlink-cases=${NF_NETLINK_CASES:-same} modes=${NF_MODES:-all}"
	t0=$(date +%s)
	# streamed, so that a guest that hangs still shows how far it got
	{
		${NF_GUEST_SHELL:-sh} "$t" 2>/tmp/suite.err
		echo $? >/tmp/suite.rc
	} | while IFS= read -r line; do
		case "$line" in
		PASS\ * | FAIL\ * | SKIP\ *)
			echo "${line%% *} $name/${line#* }" | tee -a "$res" ;;
		*) echo "  out: $line" ;;
		esac
	done
	rc=$(cat /tmp/suite.rc)
	echo "  suite: $t took $(($(date +%s) - t0)) s"
	if [ "$rc" != 0 ]; then
		tail -n 30 /tmp/suite.err | sed 's/^/  err: /'
		grep -q "^FAIL $name/" "$res" || fail "$name: exited $rc with no FAIL line"
	fi
done
[ -n "$watch_pid" ] && kill "$watch_pid"

echo "GUEST-SUMMARY passed=$(grep -c '^PASS ' "$res") failed=$(grep -c '^FAIL ' "$res")" \
	"skipped=$(grep -c '^SKIP ' "$res")"
