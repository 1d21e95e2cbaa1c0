# Helpers for the netrace shell suites (sourced; POSIX sh + awk only, so
# the same code runs under dash/bash on the host and busybox in QEMU).
#
# Needs iproute2's ip (netns, veth, vlan, nodad); busybox ip cannot do it.
# Env: NFLUX (nflux binary), NFTOOL (nftool binary), NF_MODE (tcx|netlink|
# perf: the result label prefix; netlink sets NFLUX_FORCE_NETLINK=1 for
# nflux, perf NFLUX_FORCE_PERF=1),
# NF_IP / NF_TC (iproute2 binaries, found in /sbin.. by default), NF_WAIT
# (seconds to wait for nflux to attach or to exit; default 10, raise it
# for slow emulated guests).

NF_ROOT=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
NFLUX=${NFLUX:-$NF_ROOT/build/nflux}
NFTOOL=${NFTOOL:-$NF_ROOT/build/nftool}
NF_MODE=${NF_MODE:-tcx}
NF_WAIT=${NF_WAIT:-10}
NS1=nfa$$
NS2=nfb$$
A4=10.77.0.1 B4=10.77.0.2 A6=fd77::1 B6=fd77::2
VA4=10.77.10.1 VB4=10.77.10.2
NF_FAILS=0
NF_RUN=0

# iproute2's ip and tc by absolute path: busybox sh may run its own
# applets (which lack netns, veth, vlan) for a bare "ip" even when
# iproute2 is installed. NF_IP / NF_TC override the search.
nf_find_tool() {
	for _d in /sbin /usr/sbin /bin /usr/bin; do
		[ -x "$_d/$1" ] || continue
		"$_d/$1" -V 2>&1 | grep -qi iproute2 && { echo "$_d/$1"; return 0; }
	done
	return 1
}
NF_IP=${NF_IP:-$(nf_find_tool ip)}
NF_TC=${NF_TC:-$(nf_find_tool tc)}
ip() { "${NF_IP:-false}" "$@"; }
tc() { "${NF_TC:-false}" "$@"; }
nf_have_tc() { [ -n "$NF_TC" ]; }
NF_PID=
NF_BG=
NF_TMP=

# ---- results -------------------------------------------------------------

# One result line per test case (per mode): nf_case_begin NAME, then its
# checks (nf_pass, nf_fail, nf_skip: "ok MODE/CHECK", "not ok MODE/CHECK:
# why", "skip MODE/CHECK: why" lines for diagnosis and the mutants), then
# nf_case_end prints "PASS MODE/NAME (N checks)", "FAIL MODE/NAME: the
# failed checks", or "SKIP MODE/NAME: why" when every check was skipped.
# Outside a case a check is a result line of its own.
NF_CASE= NF_CASE_OK=0 NF_CASE_BAD= NF_CASE_SKIP=
nf_case_begin() { NF_CASE=$1 NF_CASE_OK=0 NF_CASE_BAD= NF_CASE_SKIP=; }
nf_case_end() {
	if [ -n "$NF_CASE_BAD" ]; then
		echo "FAIL $NF_MODE/$NF_CASE:$NF_CASE_BAD" | cut -c1-600
	elif [ "$NF_CASE_OK" -gt 0 ]; then
		echo "PASS $NF_MODE/$NF_CASE ($NF_CASE_OK checks${NF_CASE_SKIP:+; skipped:$NF_CASE_SKIP})" | cut -c1-400
	elif [ -n "$NF_CASE_SKIP" ]; then
		echo "SKIP $NF_MODE/$NF_CASE:$NF_CASE_SKIP" | cut -c1-400
	fi
	NF_CASE=
}
nf_pass() {
	if [ -z "$NF_CASE" ]; then echo "PASS $NF_MODE/$1"; return; fi
	echo "ok $NF_MODE/$1"
	NF_CASE_OK=$((NF_CASE_OK + 1))
}
nf_fail() {
	NF_FAILS=$((NF_FAILS + 1))
	if [ -z "$NF_CASE" ]; then echo "FAIL $NF_MODE/$1: $2"; return; fi
	echo "not ok $NF_MODE/$1: $2"
	NF_CASE_BAD="$NF_CASE_BAD $1: $2;"
}
nf_skip() {
	if [ -z "$NF_CASE" ]; then echo "SKIP $NF_MODE/$1: $2"; return; fi
	echo "skip $NF_MODE/$1: $2"
	NF_CASE_SKIP="$NF_CASE_SKIP $1: $2;"
}
# nf_check NAME "why it failed" CMD...: PASS if CMD succeeds.
nf_check() {
	_cn=$1 _cw=$2
	shift 2
	if "$@"; then nf_pass "$_cn"; else nf_fail "$_cn" "$_cw"; fi
}
# nf_expect NAME GOT WANT [what]: integer equality.
nf_expect() {
	if [ "$2" = "$3" ]; then nf_pass "$1"; else nf_fail "$1" "${4:-count} is $2, want $3"; fi
}

# ---- processes -----------------------------------------------------------

nf_bg_add() { NF_BG="$NF_BG $1"; }
# nf_wait_gone PID SECS: 0 once PID has exited, 1 if it is still there.
nf_wait_gone() {
	_i=0
	while kill -0 "$1" 2>/dev/null; do
		[ "$_i" -ge $(($2 * 10)) ] && return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 0
}
# nf_wait_file FILE PATTERN SECS: 0 once FILE has a line matching PATTERN.
nf_wait_file() {
	_i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		[ "$_i" -ge $(($3 * 10)) ] && return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 0
}
nf_kill_bg() {
	for _p in $NF_BG $NF_PID; do
		kill -KILL "$_p" 2>/dev/null
	done
	NF_BG=
}

# ---- namespaces ----------------------------------------------------------

# Never put these (or ip, tc) in the background: $! would be a subshell, not
# the command; use "$NF_IP" netns exec ... & instead.
in1() { ip netns exec "$NS1" "$@"; }
in2() { ip netns exec "$NS2" "$@"; }

nf_teardown() {
	nf_kill_bg
	# Whatever still runs inside our namespaces was started by this test.
	for _p in $(ip netns pids "$NS1" 2>/dev/null) $(ip netns pids "$NS2" 2>/dev/null); do
		kill -KILL "$_p" 2>/dev/null
	done
	ip netns del "$NS1" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null
	[ -n "$NF_TMP" ] && rm -rf "$NF_TMP"
}

# Permanent neighbour entries: a burst never waits behind ARP/ND.
nf_static_neigh() { # NS DEV ADDR MAC
	ip -n "$1" neigh replace "$3" lladdr "$4" dev "$2" nud permanent
}

# ns1: vA 10.77.0.1/24 fd77::1/64 ; ns2: vB 10.77.0.2,.3,.66 fd77::2,::3,::1:5
nf_setup() {
	NF_TMP=$(mktemp -d /tmp/nfnet.XXXXXX) || return 1
	ip netns add "$NS1" && ip netns add "$NS2" || return 1
	ip link add vA netns "$NS1" type veth peer name vB netns "$NS2" || return 1
	ip -n "$NS1" addr add 10.77.0.1/24 dev vA && ip -n "$NS1" addr add fd77::1/64 dev vA nodad || return 1
	for _a in 10.77.0.2/24 10.77.0.3/24 10.77.0.66/24; do ip -n "$NS2" addr add $_a dev vB || return 1; done
	for _a in fd77::2/64 fd77::3/64 fd77::1:5/64; do ip -n "$NS2" addr add $_a dev vB nodad || return 1; done
	ip -n "$NS1" link set lo up && ip -n "$NS1" link set vA up || return 1
	ip -n "$NS2" link set lo up && ip -n "$NS2" link set vB up || return 1
	NF_MAC_A=$(in1 cat /sys/class/net/vA/address) NF_MAC_B=$(in2 cat /sys/class/net/vB/address)
	for _a in 10.77.0.2 10.77.0.3 10.77.0.66 fd77::2 fd77::3 fd77::1:5; do
		nf_static_neigh "$NS1" vA $_a "$NF_MAC_B" || return 1
	done
	for _a in 10.77.0.1 fd77::1; do nf_static_neigh "$NS2" vB $_a "$NF_MAC_A" || return 1; done
	NF_IFINDEX=$(in1 cat /sys/class/net/vA/ifindex)
	nf_setup_vlan 2>/dev/null
	return 0
}

# VLAN 10 devices (vA.10 10.77.10.1, vB.10 10.77.10.2) when the kernel has
# 802.1Q (module 8021q); NF_HAVE_VLAN=1 then.
nf_setup_vlan() {
	NF_HAVE_VLAN=0
	ip -n "$NS1" link add link vA name vA.10 type vlan id 10 || return 1
	ip -n "$NS2" link add link vB name vB.10 type vlan id 10 || return 1
	ip -n "$NS1" addr add 10.77.10.1/24 dev vA.10 && ip -n "$NS1" link set vA.10 up || return 1
	ip -n "$NS2" addr add 10.77.10.2/24 dev vB.10 && ip -n "$NS2" link set vB.10 up || return 1
	nf_static_neigh "$NS1" vA.10 10.77.10.2 "$NF_MAC_B" || return 1
	nf_static_neigh "$NS2" vB.10 10.77.10.1 "$NF_MAC_A" || return 1
	NF_HAVE_VLAN=1
}

# ---- nflux ---------------------------------------------------------------

# The environment of each mode: netlink forces the rtnetlink attach, perf
# the perf buffer instead of the ring buffer.
nf_mode_env() {
	case $NF_MODE in
	netlink) echo NFLUX_FORCE_NETLINK=1 ;;
	perf) echo NFLUX_FORCE_PERF=1 ;;
	*) echo NF_MODE=tcx ;;
	esac
}

# nf_start ARGS...: nflux netrace -i vA ARGS in ns1, in the background;
# events to $NF_OUT, diagnostics to $NF_ERR, pid in NF_PID. NF_FORMAT
# (default json) is the --log-format.
nf_start() { nf_start_bare -i vA "$@"; }

# nf_start_bare ARGS...: the same without the implied -i vA.
nf_start_bare() {
	NF_RUN=$((NF_RUN + 1))
	NF_OUT=$NF_TMP/out.$NF_RUN
	NF_ERR=$NF_TMP/err.$NF_RUN
	# A simple command by path (not a function) in the background, so
	# that $! is the pid of ip, which execs nflux: signals reach nflux.
	if [ "$NF_MODE" != tcx ]; then
		"$NF_IP" netns exec "$NS1" env "$(nf_mode_env)" "$NFLUX" --log-format "${NF_FORMAT:-json}" \
			netrace "$@" >"$NF_OUT" 2>"$NF_ERR" &
	else
		"$NF_IP" netns exec "$NS1" "$NFLUX" --log-format "${NF_FORMAT:-json}" netrace "$@" \
			>"$NF_OUT" 2>"$NF_ERR" &
	fi
	NF_PID=$!
}

# nf_run_sync SECS ARGS...: nflux netrace ARGS (no implied -i) in ns1 in the foreground,
# bounded; sets NF_RC (124 = timed out), NF_OUT, NF_ERR.
nf_run_sync() {
	_secs=$1
	shift
	nf_start_bare "$@"
	if nf_wait_gone "$NF_PID" "$_secs"; then
		wait "$NF_PID"
		NF_RC=$?
	else
		kill -KILL "$NF_PID" 2>/dev/null
		wait "$NF_PID" 2>/dev/null
		NF_RC=124
	fi
	NF_PID=
}

# Programs attached to vA (tcx and cls_bpf), one "DIR ID NAME" line each.
nf_attached() {
	in1 "$NFTOOL" tcx vA 2>/dev/null
	in1 "$NFTOOL" filters vA 2>/dev/null | awk '{ print $1, $8, $10 }'
}

# nf_wait_attached [NDIRS]: 0 once NDIRS (default 2) programs run on vA.
nf_wait_attached() {
	_want=${1:-2} _i=0
	while :; do
		_have=$(nf_attached | wc -l)
		[ "$_have" -ge "$_want" ] && return 0
		if ! kill -0 "$NF_PID" 2>/dev/null; then
			NF_WHY="nflux exited before attaching: $(nf_err_tail)"
			return 1
		fi
		if [ "$_i" -ge $((NF_WAIT * 10)) ]; then
			NF_WHY="$_have of $_want programs attached after $NF_WAIT s: $(nf_err_tail)"
			return 1
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
}

nf_err_tail() { tail -n 2 "$NF_ERR" 2>/dev/null | tr '\n' ' ' | cut -c1-300; }

# nf_stop [SIG]: signal nflux (default INT), wait up to NF_WAIT s (then KILL);
# NF_RC = its exit status, NF_STOP_OK = 1 if it exited by itself.
nf_stop() {
	NF_STOP_OK=1
	kill -"${1:-INT}" "$NF_PID" 2>/dev/null
	if ! nf_wait_gone "$NF_PID" "$NF_WAIT"; then
		NF_STOP_OK=0
		kill -KILL "$NF_PID" 2>/dev/null
	fi
	wait "$NF_PID" 2>/dev/null
	NF_RC=$?
	NF_PID=
}

# ---- traffic -------------------------------------------------------------

# nf_send NS ARGS...: nftool send in NS (1 or 2); quiet unless it fails.
# Its report ("sent N in S s") is left in $NF_TMP/sent.
nf_send() {
	_ns=$NS1
	[ "$1" = 2 ] && _ns=$NS2
	shift
	ip netns exec "$_ns" timeout 30 "$NFTOOL" send "$@" >"$NF_TMP/sent" || {
		echo "nf_send failed: $*" >&2
		return 1
	}
}

# nf_tcp_conn SERVER_NS CLIENT_NS DST PORT SPORT SIZE SRC: one whole TCP
# connection from SRC:SPORT; 0 if both ends saw all the data.
nf_tcp_conn() {
	_srv=$NF_TMP/tcp.$4
	NF_TCP_WHY=
	# The last run's file (same port, earlier mode) must not be read as
	# this server's "listening": the redirection below happens in the
	# child, maybe after nf_wait_file has looked.
	rm -f "$_srv" "$_srv.client"
	"$NF_IP" netns exec "$1" "$NFTOOL" tcp-server --port "$4" --timeout 10 >"$_srv" 2>&1 &
	_sp=$!
	nf_bg_add $_sp
	if ! nf_wait_file "$_srv" listening 5; then
		NF_TCP_WHY="server not listening: $(tr '\n' ' ' <"$_srv")"
		return 1
	fi
	if ! ip netns exec "$2" timeout 15 "$NFTOOL" tcp-client --dst "$3" --port "$4" --sport "$5" \
		--size "$6" --src "$7" --timeout 10 >/dev/null 2>"$_srv.client"; then
		NF_TCP_WHY="client: $(tr '\n' ' ' <"$_srv.client"); server: $(tr '\n' ' ' <"$_srv")"
		return 1
	fi
	wait $_sp || { NF_TCP_WHY="server: $(tr '\n' ' ' <"$_srv")"; return 1; }
	grep -q "^received $6 bad 0\$" "$_srv" || { NF_TCP_WHY="server: $(tr '\n' ' ' <"$_srv")"; return 1; }
}

# nf_snmp NS PROTO FIELD: a counter of /proc/net/snmp as NS sees it.
nf_snmp() {
	ip netns exec "$1" cat /proc/net/snmp | awk -v p="$2:" -v f="$3" '$1 == p {
		if (!h) { for (i = 2; i <= NF; i++) c[$i] = i; h = 1 } else print $c[f] + 0 }'
}

# Packets the kernel dropped between vB and a UDP socket in ns1 (softnet
# backlog on all CPUs, both veth ends, UDP receive errors in ns1): a loss
# these explain is the host's load, not a dropping TC program.
nf_kernel_drops() {
	_sn=$(awk 'function hex(s,  i, v) { s = tolower(s); v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v }
		{ d += hex($2) } END { print d + 0 }' /proc/net/softnet_stat)
	_ud=$(nf_snmp "$NS1" Udp InErrors)
	_vd=$(in2 cat /sys/class/net/vB/statistics/tx_dropped)
	_rd=$(in1 cat /sys/class/net/vA/statistics/rx_dropped)
	echo $((_sn + ${_ud:-0} + ${_vd:-0} + ${_rd:-0}))
}

# ---- events --------------------------------------------------------------

# JSON lines -> " key=value key=value ... _keys=k1,k2,... " (arrays become
# comma lists, strings lose their quotes). A line that is not a flat JSON
# object gets _bad=1.
NF_AWK_NORM='
{
	s = $0; out = " "; keys = ""
	if (s !~ /^\{.*\}$/) { print " _bad=1 _line=" NR " "; next }
	s = substr(s, 2, length(s) - 2)
	while (s != "") {
		if (!match(s, /^"[^"]*": */)) { out = out "_bad=1 "; break }
		k = substr(s, 2, index(s, ":") - 3); s = substr(s, RLENGTH + 1)
		c = substr(s, 1, 1)
		if (c == "\"") ok = match(s, /^"[^"]*"/)
		else if (c == "[") ok = match(s, /^\[[^]]*\]/)
		else ok = match(s, /^[^,]*/)
		if (!ok) { out = out "_bad=1 "; break }
		v = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
		if (c == "\"" || c == "[") v = substr(v, 2, length(v) - 2)
		gsub(/"/, "", v); gsub(/ /, "_", v)
		sub(/^, */, "", s)
		out = out k "=" v " "; keys = keys (keys == "" ? "" : ",") k
	}
	print out "_keys=" keys " "
}'

nf_norm() { awk "$NF_AWK_NORM" "$1"; }

# Token matching on normalised lines: "k=v" equal, "k!=v" absent or not
# equal, "k~v" value contains v, "k" present, "!k" absent.
NF_AWK_SEL='
BEGIN { n = split(pats, p, " ") }
{
	delete kv
	m = split($0, f, " ")
	for (i = 1; i <= m; i++) { e = index(f[i], "="); kv[substr(f[i], 1, e - 1)] = substr(f[i], e + 1) }
	for (i = 1; i <= n; i++) {
		t = p[i]
		if ((e = index(t, "!=")) > 0) { k = substr(t, 1, e - 1); if ((k in kv) && kv[k] == substr(t, e + 2)) next }
		else if ((e = index(t, "=")) > 0) { k = substr(t, 1, e - 1); if (!(k in kv) || kv[k] != substr(t, e + 1)) next }
		else if ((e = index(t, "~")) > 0) { k = substr(t, 1, e - 1); if (!(k in kv) || !index(kv[k], substr(t, e + 1))) next }
		else if (substr(t, 1, 1) == "!") { if (substr(t, 2) in kv) next }
		else if (!(t in kv)) next
	}
	print
}'

# nf_select FILE TOKEN...: the normalised events matching every token.
nf_select() {
	_f=$1
	shift
	nf_norm "$_f" | awk -v pats="$*" "$NF_AWK_SEL"
}
# nf_count FILE TOKEN...: how many events match.
nf_count() { nf_select "$@" | wc -l | tr -d ' '; }
# nf_values FILE KEY TOKEN...: the values of KEY in the matching events.
nf_values() {
	_f=$1 _k=$2
	shift 2
	nf_select "$_f" "$@" | tr ' ' '\n' | sed -n "s/^$_k=//p"
}

# nf_keys_bad FILE REQUIRED OPTIONAL TOKEN...: how many matching events
# have a key set other than REQUIRED (+ any of OPTIONAL), comma lists.
# The first offender's keys go to $NF_TMP/badkeys.
nf_keys_bad() {
	_f=$1 _req=$2 _opt=$3
	shift 3
	nf_select "$_f" "$@" | awk -v req="$_req" -v opt="$_opt" -v bad="$NF_TMP/badkeys" '
	BEGIN { nr = split(req, r, ","); no = split(opt, o, ",")
		for (i = 1; i <= nr; i++) want[r[i]] = 1
		for (i = 1; i <= no; i++) maybe[o[i]] = 1 }
	{
		match($0, / _keys=[^ ]*/); ks = substr($0, RSTART + 7, RLENGTH - 7)
		m = split(ks, k, ","); seen = 0; ok = 1
		delete dup
		for (i = 1; i <= m; i++) {
			if (k[i] in dup) ok = 0
			dup[k[i]] = 1
			if (k[i] in want) seen++
			else if (!(k[i] in maybe)) ok = 0
		}
		if (!ok || seen != nr) { n++; if (n == 1) print ks > bad }
	}
	END { print n + 0 }'
}

# nf_stat WORD: the number next to WORD (e.g. "written", "lost") in nflux's
# exit statistics on stderr ("N events written", "lost: N", "lost=N",
# "\"lost\":N", ...); empty if none.
nf_stat() {
	awk -v w="$1" '
	{
		line = tolower($0)
		gsub(/["{},:=]/, " ", line)
		n = split(line, t, " ")
		for (i = 1; i <= n; i++) {
			if (index(t[i], w) == 0) continue
			for (j = i + 1; j <= n && j <= i + 3; j++) if (t[j] ~ /^[0-9]+$/) { print t[j]; exit }
			for (j = i - 1; j >= 1 && j >= i - 3; j--) if (t[j] ~ /^[0-9]+$/) { print t[j]; exit }
		}
	}' "$NF_ERR"
}
