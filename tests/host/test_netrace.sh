#!/bin/sh
# nflux netrace end to end: known traffic between two network namespaces
# joined by a veth pair, nflux on ns1's end (vA); every case asserts the
# exact events. Runs each case on the tcx path and on the forced netlink
# path (result names "tcx/..." and "netlink/...").
#
# Env: NFLUX, NFTOOL (binaries), NF_MODES (default "tcx netlink perf"; perf
# runs NF_PERF_CASES with NFLUX_FORCE_PERF=1; netlink runs NF_NETLINK_CASES,
# default NF_CASES),
# NF_CASES (default: all; e.g. "basic ratelimit cleanup"), NF_IP, NF_TC,
# NF_WAIT (see lib.sh). Needs iproute2's ip; tc and tshark are optional
# (their checks are skipped). VLAN device checks need 802.1Q (8021q);
# tagged frames are tested without it.
. "$(dirname "$0")/lib.sh"

NF_MODES=${NF_MODES:-tcx netlink perf}
# the perf buffer path (forced; every kernel we support has the ring buffer)
NF_PERF_CASES=${NF_PERF_CASES:-basic integrity pcapng count}
NF_CASES=${NF_CASES:-basic gso ifaces text errors faults killed full_ring disable ratelimit filters integrity pcapng pcapng_stdout count coexist cleanup}
BASE_KEYS=ts,iface,ifindex,dir,family,proto,src,dst,len,ttl
OPT_KEYS=vlan,suppressed_packets,suppressed_bytes
UDP_KEYS=$BASE_KEYS,sport,dport
TCP_KEYS=$UDP_KEYS,tcp_flags
ICMP_KEYS=$BASE_KEYS,icmp_type,icmp_code

unset NFLUX_FORCE_NETLINK
trap 'nf_teardown' EXIT
trap 'nf_teardown; exit 1' INT TERM

# ---- assertion shorthands ------------------------------------------------

# want NAME N TOKEN...: exactly N events of $NF_OUT match.
want() {
	_wname=$1 _wn=$2
	shift 2
	nf_expect "$_wname" "$(nf_count "$NF_OUT" "$@")" "$_wn" "events matching '$*'"
}
# want_min NAME N TOKEN...: at least N.
want_min() {
	_mname=$1 _mn=$2
	shift 2
	_mc=$(nf_count "$NF_OUT" "$@")
	if [ "$_mc" -ge "$_mn" ]; then nf_pass "$_mname"; else
		nf_fail "$_mname" "$_mc events matching '$*', want at least $_mn"; fi
}
# keys NAME REQUIRED TOKEN...: matching events (at least one) have exactly
# the keys REQUIRED (+ optional ones).
keys() {
	_kname=$1 _kreq=$2
	shift 2
	_kn=$(nf_count "$NF_OUT" "$@")
	_kb=$(nf_keys_bad "$NF_OUT" "$_kreq" "$OPT_KEYS" "$@")
	if [ "$_kn" = 0 ]; then
		nf_fail "$_kname" "no events matching '$*' to check the keys of"
	elif [ "$_kb" = 0 ]; then
		nf_pass "$_kname"
	else
		nf_fail "$_kname" "$_kb of $_kn events matching '$*' have other keys than $_kreq ($(cat "$NF_TMP/badkeys" 2>/dev/null))"
	fi
}

# start_attached CASE NDIRS ARGS...: start nflux and wait for its programs;
# 1 (with a FAIL line) if it never attached.
start_attached() {
	_case=$1 _dirs=$2
	shift 2
	nf_start "$@"
	if nf_wait_attached "$_dirs"; then return 0; fi
	nf_fail "$_case/attach" "$NF_WHY"
	nf_stop KILL
	return 1
}

# start_bare CASE ARGS...: the same without the implied -i vA.
start_bare() {
	_case=$1
	shift
	nf_start_bare "$@"
	if nf_wait_attached 2; then return 0; fi
	nf_fail "$_case/attach" "$NF_WHY"
	nf_stop KILL
	return 1
}

# stop_ok CASE: SIGINT, then assert a clean exit with status 0.
stop_ok() {
	nf_stop INT
	if [ "$NF_STOP_OK" = 1 ] && [ "$NF_RC" = 0 ]; then nf_pass "$1/exit_on_sigint"; else
		nf_fail "$1/exit_on_sigint" "exited=$NF_STOP_OK status=$NF_RC: $(nf_err_tail)"; fi
}

# ---- basic: every protocol and header variant in one run -----------------

# Each mode's connections have their own client ports: the namespaces stay
# up across modes, and the last mode's connection may still be in the
# client's TIME_WAIT with the same four-tuple.
mode_cport() {
	case $NF_MODE in tcx) echo $(($1 + 0)) ;; netlink) echo $(($1 + 100)) ;; *) echo $(($1 + 200)) ;; esac
}

basic_traffic() {
	nf_tcp_conn "$NS1" "$NS2" $A4 6001 "$(mode_cport 41001)" 100 $B4
	TCP4_RC=$?
	TCP4_WHY=$NF_TCP_WHY
	nf_send 2 udp --src $B4 --dst $A4 --sport 4001 --dport 5001 --count 3 --size 64
	nf_send 1 udp --src $A4 --dst $B4 --sport 5001 --dport 4001 --count 2 --size 32 --ttl 17
	nf_send 1 icmp --src $A4 --dst $B4 --count 2 --size 56
	nf_send 2 udp --src $B6 --dst $A6 --sport 4002 --dport 5002 --count 2 --size 64
	nf_tcp_conn "$NS1" "$NS2" $A6 6002 "$(mode_cport 41002)" 200 $B6
	TCP6_RC=$?
	TCP6_WHY=$NF_TCP_WHY
	nf_send 1 icmp --src $A6 --dst $B6 --count 2 --size 56
	nf_send 2 udp --src $B6 --dst $A6 --sport 4003 --dport 5003 --hbh --size 64
	nf_send 2 tcp --src $B6 --dst $A6 --sport 4004 --dport 5004 --flags S --hbh --size 0
	nf_send 2 udp --src $B4 --dst $A4 --sport 4005 --dport 5005 --ipopt nop --size 64
	nf_send 2 udp --src $B4 --dst $A4 --sport 4006 --dport 5006 --ipopt rr --size 64
	nf_send 2 udp --src $B4 --dst $A4 --sport 4007 --dport 5007 --frag --size 64
	nf_send 2 udp --src $B6 --dst $A6 --sport 4008 --dport 5008 --frag --size 64
	nf_send 2 udp --src $B6 --dst $A6 --sport 4009 --dport 5009 --hbh --dstopt --size 64
	nf_send 2 udp --src $B6 --dst $A6 --sport 4020 --dport 5020 --hbh --rthdr --ah --dstopt --size 64
	nf_send 1 udp --src $A6 --dst $B6 --sport 5021 --dport 4021 --hbh --rthdr --ah --dstopt --size 64
	nf_send 2 tcp --src $B6 --dst $A6 --sport 4022 --dport 5022 --flags S --ah --size 0
	# tagged frames: the tag is inline on the wire; ingress untags into skb
	nf_send 2 udp --src $VB4 --dst $VA4 --sport 4010 --dport 5010 --count 2 --size 64 --dev vB --vlan 10
	nf_send 1 udp --src $VA4 --dst $VB4 --sport 5011 --dport 4011 --count 2 --size 64 --dev vA --vlan 10
	if [ "$NF_HAVE_VLAN" = 1 ]; then
		nf_send 2 udp --src $VB4 --dst $VA4 --sport 4012 --dport 5012 --count 2 --size 64
		nf_send 1 udp --src $VA4 --dst $VB4 --sport 5013 --dport 4013 --count 2 --size 64
	fi
}

# tcp_checks NAME FAMILY CLIENT SERVER CPORT SPORT SIZE
tcp_checks() {
	_ti="dir=ingress family=$2 proto=tcp src=$3 dst=$4 sport=$5 dport=$6"
	_to="dir=egress family=$2 proto=tcp src=$4 dst=$3 sport=$6 dport=$5"
	want "$1/syn_in" 1 $_ti tcp_flags=SYN
	want "$1/synack_out" 1 $_to tcp_flags=SYN,ACK
	want_min "$1/ack_in" 1 $_ti tcp_flags=ACK
	want_min "$1/data_in_psh_ack" 1 $_ti tcp_flags=PSH,ACK
	want_min "$1/fin_in" 1 $_ti tcp_flags~FIN
	want_min "$1/fin_out" 1 $_to tcp_flags~FIN
	want "$1/no_rst" 0 proto=tcp sport=$5 tcp_flags~RST
	keys "$1/keys" $TCP_KEYS proto=tcp sport=$5
	keys "$1/keys_out" $TCP_KEYS proto=tcp dport=$5
	want "$1/ttl_in" 0 proto=tcp sport=$5 ttl!=64
	want "$1/ttl_out" 0 proto=tcp dport=$5 ttl!=64
	# IP length of the data segment: size + IP + TCP header (+ timestamps)
	_hl=20
	[ "$2" = ipv6 ] && _hl=40
	_len=$(nf_values "$NF_OUT" len $_ti tcp_flags=PSH,ACK | head -n 1)
	case $((${_len:-0} - $7 - _hl)) in
	20 | 32) nf_pass "$1/data_len" ;;
	*) nf_fail "$1/data_len" "len ${_len:-none} for $7 data bytes" ;;
	esac
}

basic_checks() {
	nf_expect basic/json_lines "$(nf_count "$NF_OUT" _bad)" 0 "non-JSON lines"
	want basic/iface 0 iface!=vA
	want basic/ifindex 0 ifindex!=$NF_IFINDEX
	nf_check basic/ts "bad or far-off ts: $(ts_bad | head -n 1)" ts_all_ok
	nf_expect tcp4/connection_intact "$TCP4_RC" 0 "client/server status (data not all through unaltered; $TCP4_WHY)"
	nf_expect tcp6/connection_intact "$TCP6_RC" 0 "client/server status (data not all through unaltered; $TCP6_WHY)"
	tcp_checks tcp4 ipv4 $B4 $A4 "$(mode_cport 41001)" 6001 100
	tcp_checks tcp6 ipv6 $B6 $A6 "$(mode_cport 41002)" 6002 200
	_bu="family=ipv4 proto=udp"
	want udp4/in 3 dir=ingress $_bu src=$B4 dst=$A4 sport=4001 dport=5001 len=92 ttl=64
	want udp4/out 2 dir=egress $_bu src=$A4 dst=$B4 sport=5001 dport=4001 len=60 ttl=17
	want udp4/one_direction_each 0 $_bu sport=4001 dir=egress
	keys udp4/keys $UDP_KEYS $_bu sport=4001
	_bc="family=ipv4 proto=icmp icmp_code=0 len=84"
	want icmp4/echo_request_out 2 dir=egress $_bc src=$A4 dst=$B4 icmp_type=8 ttl=64
	want icmp4/echo_reply_in 2 dir=ingress $_bc src=$B4 dst=$A4 icmp_type=0 ttl=64
	keys icmp4/keys $ICMP_KEYS proto=icmp icmp_type=8
	want icmp4/no_ports 0 proto=icmp sport
	want udp6/in 2 dir=ingress family=ipv6 proto=udp src=$B6 dst=$A6 sport=4002 dport=5002 len=112 ttl=64
	keys udp6/keys $UDP_KEYS family=ipv6 sport=4002
	_bc="family=ipv6 proto=icmpv6 icmp_code=0 len=104"
	want icmp6/echo_request_out 2 dir=egress $_bc src=$A6 dst=$B6 icmp_type=128
	want icmp6/echo_reply_in 2 dir=ingress $_bc src=$B6 dst=$A6 icmp_type=129
	keys icmp6/keys $ICMP_KEYS proto=icmpv6 icmp_type=128
	want ipv6_hbh/udp 1 dir=ingress family=ipv6 proto=udp src=$B6 dst=$A6 sport=4003 dport=5003 len=120
	want ipv6_hbh/tcp_syn 1 dir=ingress family=ipv6 proto=tcp sport=4004 dport=5004 tcp_flags=SYN len=68
	want ipv6_hbh/tcp_rst_reply 1 dir=egress family=ipv6 proto=tcp sport=5004 dport=4004 tcp_flags=RST,ACK
	want ipv6_dstopt/udp 1 dir=ingress family=ipv6 proto=udp sport=4009 dport=5009 len=128
	# hop-by-hop, routing, AH (length in 4-byte units) and dest-opts
	want ipv6_ext_chain/udp_in 1 dir=ingress family=ipv6 proto=udp src=$B6 dst=$A6 sport=4020 dport=5020 len=160
	want ipv6_ext_chain/udp_out 1 dir=egress family=ipv6 proto=udp src=$A6 dst=$B6 sport=5021 dport=4021 len=160
	want ipv6_ah/tcp_syn 1 dir=ingress family=ipv6 proto=tcp sport=4022 dport=5022 tcp_flags=SYN len=84
	want ipv4_opts/nop 1 dir=ingress family=ipv4 proto=udp src=$B4 sport=4005 dport=5005 len=100
	want ipv4_opts/record_route 1 dir=ingress family=ipv4 proto=udp src=$B4 sport=4006 dport=5006 len=104
	want ipv4_frag/first 1 dir=ingress family=ipv4 proto=udp src=$B4 dst=$A4 sport=4007 dport=5007 len=60
	want ipv4_frag/second_no_ports 1 dir=ingress family=ipv4 proto=udp src=$B4 dst=$A4 !sport !dport len=52
	keys ipv4_frag/keys $BASE_KEYS family=ipv4 proto=udp !sport
	want ipv6_frag/first 1 dir=ingress family=ipv6 proto=udp src=$B6 dst=$A6 sport=4008 dport=5008 len=88
	want ipv6_frag/second_no_ports 1 dir=ingress family=ipv6 proto=udp src=$B6 dst=$A6 !sport !dport len=80
	_bv="iface=vA vlan=10 family=ipv4 proto=udp len=92"
	want vlan/in_tagged_frame 2 dir=ingress $_bv src=$VB4 dst=$VA4 sport=4010 dport=5010
	want vlan/out_tagged_frame 2 dir=egress $_bv src=$VA4 dst=$VB4 sport=5011 dport=4011
	if [ "$NF_HAVE_VLAN" = 1 ]; then
		want vlan/in_vlan_device 2 dir=ingress $_bv src=$VB4 dst=$VA4 sport=4012 dport=5012
		want vlan/out_vlan_device 2 dir=egress $_bv src=$VA4 dst=$VB4 sport=5013 dport=4013
	else
		nf_skip vlan/vlan_device "no 802.1Q in this kernel (vA.10 cannot be made; load 8021q)"
	fi
	want vlan/untagged_have_none 0 src=$B4 vlan
}

# All ts: RFC 3339 UTC with microseconds, within 2 minutes of now.
ts_bad() {
	nf_values "$NF_OUT" ts | awk -v now="$(date -u +%s)" '
	function days(y, m, d) { if (m <= 2) { y--; m += 12 }
		return 365 * y + int(y / 4) - int(y / 100) + int(y / 400) + int((153 * (m - 3) + 2) / 5) + d - 719469 }
	{
		if ($0 !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9][0-9][0-9][0-9]Z$/) { print; next }
		t = days(substr($0, 1, 4) + 0, substr($0, 6, 2) + 0, substr($0, 9, 2) + 0) * 86400 + \
		    substr($0, 12, 2) * 3600 + substr($0, 15, 2) * 60 + substr($0, 18, 2)
		if (t - now > 120 || now - t > 120) print $0 " (now " now ")"
	}'
}
ts_all_ok() { [ -z "$(ts_bad)" ] && [ "$(nf_count "$NF_OUT" ts)" -gt 0 ]; }

stats_checks() { # CASE [stats]: the exit statistics agree with the output
	_w=$(nf_stat written) _s=$(nf_stat seen) _l=$(nf_stat lost) _p=$(nf_stat suppress)
	_lines=$(wc -l <"$NF_OUT" | tr -d ' ')
	if [ -z "$_w" ] || [ -z "$_s" ] || [ -z "$_l" ] || [ -z "$_p" ]; then
		nf_fail "$1/exit_stats" "written/seen/lost/suppressed not all on stderr: $(nf_err_tail)"
		return
	fi
	nf_expect "$1/stats_written" "$_w" "$_lines" "events written"
	nf_check "$1/stats_seen" "seen $_s < written $_w" [ "$_s" -ge "$_w" ]
	nf_expect "$1/stats_lost" "$_l" 0 "lost"
	# BPF_ENABLE_STATS exists from 5.8, below every kernel we support; it
	# is on only with --stats (the basic case passes it, ratelimit not).
	if [ "$2" = stats ]; then
		nf_check "$1/stats_ns_per_packet" "no average ns per packet on stderr" \
			grep -qiE '[0-9]+ ?ns (per|/) ?packet|ns_per_packet[": ]+[0-9]' "$NF_ERR"
	else
		nf_check "$1/no_ns_per_packet_without_stats" "ns per packet without --stats" \
			sh -c "! grep -qi 'ns per packet' '$NF_ERR'"
	fi
}

case_basic() {
	start_attached basic 2 --stats || return
	if [ "$NF_MODE" = perf ]; then
		nf_check basic/perf_buffer "nflux did not say it uses the perf buffer: $(nf_err_tail)" grep -qi perf "$NF_ERR"
	else
		nf_check basic/attach_path "$NF_MODE path not taken: $(nf_attached_where)" attach_path_ok
	fi
	# vA is an Ethernet device: only the two L2 programs are loaded.
	nf_expect basic/loads_only_what_runs "$(loaded_nr_progs)" "nr_egress nr_ingress" "programs loaded"
	basic_traffic
	stop_ok basic
	basic_checks
	stats_checks basic stats
	nf_expect basic/stats_suppressed "$(nf_stat suppress)" 0 "suppressed (full log)"
}

# The netrace programs loaded now, by name, sorted, on one line.
# The nr_* programs this run's nflux holds (its fds' prog_id), by name:
# another nflux on the machine does not count.
prog_ids_of() { cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" { print $2 }' | sort -u | tr '\n' ' '; }
loaded_nr_progs() {
	_held=" $(prog_ids_of "$NF_PID")"
	in1 "$NFTOOL" progs | awk -v ids="$_held" '$3 ~ /^nr_/ && index(ids, " " $1 " ") { print $3 }' |
		sort | tr '\n' ' ' | sed 's/ $//'
}

# tcx mode: tcx programs and no filter; netlink: "nflux*" filters, no tcx.
nf_attached_where() { echo "tcx=$(in1 "$NFTOOL" tcx vA 2>/dev/null | wc -l) filters=$(in1 "$NFTOOL" filters vA | wc -l)"; }
attach_path_ok() {
	_t=$(in1 "$NFTOOL" tcx vA 2>/dev/null | wc -l)
	_f=$(in1 "$NFTOOL" filters vA | awk '$10 ~ /^nflux/' | wc -l)
	if [ "$NF_MODE" = tcx ]; then [ "$_t" -eq 2 ] && [ "$_f" -eq 0 ]; else [ "$_t" -eq 0 ] && [ "$_f" -eq 2 ]; fi
}

# ---- GSO: len is the whole IP length of a super-packet ----------------------

# A 1 MB transfer: the ingress segments' IP lengths minus their headers
# (IP 20 + TCP 32 with timestamps) sum to exactly the bytes sent, plus at
# most one MSS (1448) per segment the sender's kernel says it retransmitted.
case_gso() {
	start_attached gso 2 || return
	_r0=$(nf_snmp "$NS2" Tcp RetransSegs)
	nf_tcp_conn "$NS1" "$NS2" $A4 6100 41100 1000000 $B4
	_rc=$?
	stop_ok gso
	nf_expect gso/transfer_intact "$_rc" 0 "client/server status"
	_sum=$(nf_select "$NF_OUT" dir=ingress proto=tcp sport=41100 dport=6100 | awk '
		/ tcp_flags=[^ ]*SYN/ { next }
		{ match($0, / len=[0-9]+ /); s += substr($0, RSTART + 5, RLENGTH - 6) - 52 }
		END { print s + 0 }')
	_rs=$(($(nf_snmp "$NS2" Tcp RetransSegs) - ${_r0:-0}))
	if [ "$_rs" -eq 0 ]; then
		nf_expect gso/payload_sum "$_sum" 1000000 "sum of (len - 52) over the data segments"
	else
		_extra=$((_sum - 1000000))
		nf_check gso/payload_sum "sum of (len - 52) is $_sum: not 1000000 plus at most $_rs retransmitted MSS" \
			test "$_extra" -ge 0 -a "$_extra" -le $((_rs * 1448))
	fi
	_max=$(nf_values "$NF_OUT" len dir=ingress proto=tcp sport=41100 | sort -n | tail -n 1)
	if [ "${_max:-0}" -gt 1500 ]; then nf_pass gso/super_packets_seen; else
		nf_skip gso/super_packets_seen "largest segment ${_max:-0} bytes: no GSO/GRO here"; fi
}

# ---- interface selection ---------------------------------------------------

# no -i, the default route through a nexthop object, then a nexthop group
iface_nexthop() {
	if ! ip -n "$NS1" nexthop add id 77 via $B4 dev vA 2>/dev/null; then
		nf_skip iface_nexthop "no nexthop objects here (kernel or ip too old)"
		return
	fi
	ip -n "$NS1" nexthop add id 78 group 77
	for _nh in 77 78; do
		ip -n "$NS1" route replace default nhid $_nh
		if start_bare "iface_nexthop_$_nh"; then
			nf_send 2 udp --src $B4 --dst $A4 --sport 47$_nh --dport 5700
			stop_ok "iface_nexthop_$_nh"
			want "iface_nexthop_$_nh/route_iface" 1 iface=vA proto=udp sport=47$_nh
		fi
	done
	ip -n "$NS1" route del default
	ip -n "$NS1" nexthop flush >/dev/null 2>&1
}

case_ifaces() {
	# no -i: the interface of the default route
	ip -n "$NS1" route replace default via $B4 dev vA
	if start_bare iface_default; then
		nf_send 2 udp --src $B4 --dst $A4 --sport 4700 --dport 5700
		stop_ok iface_default
		want iface_default/route_iface 1 iface=vA proto=udp sport=4700
	fi
	ip -n "$NS1" route del default
	iface_nexthop
	# -i any: every interface that is up, except lo
	if start_bare iface_any -i any; then
		nf_send 2 udp --src $B4 --dst $A4 --sport 4701 --dport 5701
		nf_send 1 icmp --src 127.0.0.1 --dst 127.0.0.1
		stop_ok iface_any
		want iface_any/vA 1 iface=vA proto=udp sport=4701
		want iface_any/not_lo 0 iface=lo
	fi
	# lo when named (its Ethernet header is all zeroes)
	if start_bare iface_lo -i lo -i vA; then
		nf_send 2 udp --src $B4 --dst $A4 --sport 4702 --dport 5702
		nf_send 1 icmp --src 127.0.0.1 --dst 127.0.0.1 --size 56
		stop_ok iface_lo
		want iface_lo/vA 1 iface=vA proto=udp sport=4702
		_lo="iface=lo family=ipv4 proto=icmp src=127.0.0.1 dst=127.0.0.1 len=84"
		for _t in 8 0; do
			for _d in egress ingress; do want "iface_lo/icmp_type${_t}_$_d" 1 $_lo icmp_type=$_t dir=$_d; done
		done
	fi
}

# ---- text output -------------------------------------------------------------

# text_lines TOKEN...: lines of $NF_OUT holding every token as a word or as
# a word's part between non-alphanumerics (10.77.0.2.4800 holds 4800).
text_lines() {
	awk -v toks="$*" 'BEGIN { n = split(toks, t, " ") }
	{
		line = " " $0 " "; gsub(/[^A-Za-z0-9:]/, " ", line)
		for (i = 1; i <= n; i++) { w = t[i]; gsub(/[^A-Za-z0-9:]/, " ", w); if (!index(line, " " w " ")) next }
		c++
	} END { print c + 0 }' "$NF_OUT"
}

case_text() {
	NF_FORMAT=text
	start_attached text 2
	_ok=$?
	NF_FORMAT=json
	[ $_ok = 0 ] || return
	nf_send 2 udp --src $B4 --dst $A4 --sport 4800 --dport 5800 --count 2 --size 64 --ttl 33
	nf_send 1 icmp --src $A6 --dst $B6 --size 56
	stop_ok text
	nf_expect text/udp_line_per_event "$(text_lines vA ingress udp $B4 4800 $A4 5800 92 33)" 2 "lines with iface, dir, proto, addresses, ports, len, ttl"
	nf_expect text/icmp6_line "$(text_lines vA egress icmpv6 $A6 $B6 128 104 64)" 1 "lines with iface, dir, proto, addresses, type, len, hop limit"
	nf_expect text/not_json "$(grep -c '^{' "$NF_OUT")" 0 "JSON lines"
}

# ---- command line errors -------------------------------------------------

# bad_args NAME WORD ARGS...: exit 1, one stderr line (naming WORD), no events.
bad_args() {
	_bname=$1 _bword=$2
	shift 2
	nf_run_sync "$NF_WAIT" "$@"
	_bel=$(grep -c . "$NF_ERR")
	if [ "$NF_RC" = 1 ] && [ "$_bel" = 1 ] && grep -q -- "$_bword" "$NF_ERR" && [ ! -s "$NF_OUT" ]; then
		nf_pass "$_bname"
	else
		nf_fail "$_bname" "status $NF_RC, $_bel stderr lines (want 1 naming '$_bword'): $(nf_err_tail)"
	fi
}

case_errors() {
	bad_args errors/both_directions_disabled disable -i vA --disable-ingress --disable-egress
	bad_args errors/all_protocols_disabled disable -i vA --disable-tcp --disable-udp --disable-icmp
	bad_args errors/unknown_interface nosuch0 -i nosuch0
	bad_args errors/buffer_size_zero "for -B" -i vA -B 0
	bad_args errors/buffer_size_huge "for --buffer-size" -i vA --buffer-size 2G
	buffer_size
	unprivileged_run
}

# -B 100 (KiB, as tcpdump's) is a 128 KiB ring, said when attached; the
# ring buffer path only (perf has per-CPU buffers of its own).
buffer_size() {
	[ "$NF_MODE" = perf ] && return
	start_attached errors/buffer_size 2 -B 100 || return
	if grep -q "(ring buffer, 128 KiB)" "$NF_ERR"; then nf_pass errors/buffer_size_rounded; else
		nf_fail errors/buffer_size_rounded "$(nf_err_tail)"; fi
	stop_ok errors/buffer_size
}

# As nobody with no capabilities: one line naming what is missing (not the
# memlock limit), exit 1. The binary is copied where nobody may run it.
unprivileged_run() {
	if ! setpriv --help 2>&1 | grep -q -- --reuid; then
		nf_skip errors/unprivileged "no setpriv with --reuid here (util-linux's; busybox's has none)"
		return
	fi
	_np=$(mktemp -d)
	chmod 755 "$_np"
	cp "$NFLUX" "$_np/nflux"
	in1 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$_np/nflux" netrace -i vA >"$NF_TMP/np.out" 2>"$NF_TMP/np.err"
	_rc=$?
	rm -rf "$_np"
	if [ "$_rc" = 1 ] && [ "$(grep -c . "$NF_TMP/np.err")" = 1 ] &&
		grep -q "needs root, or CAP_BPF and CAP_NET_ADMIN" "$NF_TMP/np.err" &&
		! grep -qi memlock "$NF_TMP/np.err"; then
		nf_pass errors/unprivileged
	else
		nf_fail errors/unprivileged "status $_rc: $(head -c 300 "$NF_TMP/np.err")"
	fi
}

# ---- faults: a deleted interface, stdout closed, a full disk ---------------

# wait_exit SECS: NF_PID's status in NF_RC once it exits by itself within
# SECS (NF_GONE=1), else it is killed (NF_GONE=0).
wait_exit() {
	NF_GONE=1
	nf_wait_gone "$NF_PID" "$1" || { NF_GONE=0; kill -KILL "$NF_PID" 2>/dev/null; }
	wait "$NF_PID" 2>/dev/null
	NF_RC=$?
	NF_PID=
}

case_faults() {
	# vF (a veth pair of ns1's own) is deleted under a run on vF and vA:
	# said once, the run goes on with vA; then alone: exit 1.
	ip -n "$NS1" link add vF type veth peer name vFp && ip -n "$NS1" link set vF up &&
		ip -n "$NS1" link set vFp up || { nf_fail faults/setup "no veth pair vF"; return; }
	start_attached faults 2 -i vF || { ip -n "$NS1" link del vF 2>/dev/null; return; }
	ip -n "$NS1" link del vF
	nf_wait_file "$NF_ERR" "interface vF is gone" 20
	nf_send 2 udp --src $B4 --dst $A4 --sport 4701 --dport 5701
	sleep 0.5
	nf_check faults/iface_gone_said "$(nf_err_tail)" grep -q "interface vF is gone; going on" "$NF_ERR"
	stop_ok faults/iface_gone
	nf_expect faults/other_iface_goes_on "$(nf_count "$NF_OUT" dir=ingress proto=udp sport=4701)" 1
	ip -n "$NS1" link add vF type veth peer name vFp && ip -n "$NS1" link set vF up &&
		ip -n "$NS1" link set vFp up
	nf_start_bare -i vF
	_t=0
	while [ "$_t" -lt 300 ] && ! grep -q "netrace on" "$NF_ERR"; do sleep 0.1; _t=$((_t + 1)); done
	ip -n "$NS1" link del vF
	wait_exit 20
	nf_check faults/last_iface_gone_exits "exited=$NF_GONE status=$NF_RC: $(nf_err_tail)" \
		[ "$NF_GONE" = 1 ] && [ "$NF_RC" = 1 ] && grep -q "vF is gone, and with it the last one" "$NF_ERR"
	# stdout closed: one error, exit 1, no spin.
	"$NF_IP" netns exec "$NS1" env "$(nf_mode_env)" "$NFLUX" --log-format json netrace -i vA \
		>&- 2>"$NF_TMP/closed.err" &
	NF_PID=$!
	nf_wait_attached 2 || echo "faults: stdout_closed: $NF_WHY" >&2 # (TCG: attaching takes seconds)
	nf_send 2 udp --src $B4 --dst $A4 --sport 4702 --dport 5702 --count 20
	wait_exit 20
	nf_check faults/stdout_closed "exited=$NF_GONE status=$NF_RC: $(tail -c 300 "$NF_TMP/closed.err")" \
		[ "$NF_GONE" = 1 ] && [ "$NF_RC" = 1 ] && grep -q "writing events" "$NF_TMP/closed.err"
	# A full disk: a 64 KiB tmpfs; the events do not fit.
	_fs=$NF_TMP/tiny
	mkdir -p "$_fs"
	if ! mount -t tmpfs -o size=64k nf_tiny "$_fs" 2>/dev/null; then
		nf_skip faults/full_disk "cannot mount a tmpfs here"
		return
	fi
	"$NF_IP" netns exec "$NS1" env "$(nf_mode_env)" "$NFLUX" --log-format json netrace -i vA \
		>"$_fs/events" 2>"$NF_TMP/full.err" &
	NF_PID=$!
	nf_wait_attached 2 || echo "faults: full_disk: $NF_WHY" >&2
	nf_send 2 udp --src $B4 --dst $A4 --sport 4703 --dport 5703 --count 1000
	wait_exit 20
	umount "$_fs"
	nf_check faults/full_disk "exited=$NF_GONE status=$NF_RC: $(tail -c 300 "$NF_TMP/full.err")" \
		[ "$NF_GONE" = 1 ] && [ "$NF_RC" = 1 ] && grep -q "No space left on device" "$NF_TMP/full.err"
}

# ---- SIGKILL at 50 moments of start-up and attach --------------------------

# nr_* programs that no live process holds: what killed runs left loaded
# (a program only attached somewhere is held by no fd). Another nflux
# running on the machine holds its own.
our_progs() {
	_held=" $(for _p in /proc/[0-9]*; do prog_ids_of "${_p#/proc/}"; done | tr '\n' ' ')"
	in1 "$NFTOOL" progs | awk -v ids="$_held" '$3 ~ /^nr_/ && !index(ids, " " $1 " ")' | wc -l | tr -d ' '
}

case_killed() {
	_n=0
	while [ "$_n" -lt 50 ]; do
		nf_start
		sleep "0.$(printf %02d $(((_n * 37) % 40)))" # 0 to 390 ms, spread
		nf_stop KILL
		_n=$((_n + 1))
	done
	if [ "$NF_MODE" = netlink ]; then
		in1 timeout 10 "$NFLUX" netrace --cleanup -i vA >/dev/null 2>"$NF_TMP/killed.err"
		nf_expect killed/cleanup_status $? 0 "nflux netrace --cleanup status"
	fi
	nf_expect killed/no_program_on_vA "$(nf_attached | wc -l | tr -d ' ')" 0 "programs still attached"
	if nf_have_tc; then
		nf_expect killed/tc_filter_show "$(in1 tc filter show dev vA ingress; in1 tc filter show dev vA egress)" "" "tc filter show"
	fi
	# A run killed between adding the clsact qdisc and its first filter
	# leaves an empty clsact that no name marks as nflux's: --cleanup cannot
	# tell it from one a user made, and leaves it. The test removes it.
	if [ "$NF_MODE" = netlink ] && nf_have_tc && [ -z "$(in1 "$NFTOOL" filters vA)" ] &&
		[ "$(in1 "$NFTOOL" qdiscs vA | grep -c '^clsact ')" = 1 ]; then
		echo "killed: an empty clsact was left by a run killed before its first filter" >&2
		in1 tc qdisc del dev vA clsact
	fi
	_i=0
	while [ "$(our_progs)" != 0 ] && [ "$_i" -lt 30 ]; do sleep 0.1; _i=$((_i + 1)); done
	nf_expect killed/programs_unloaded "$(our_progs)" 0 "nr_* programs still loaded"
	start_attached killed/next_start 2 || return
	nf_send 2 udp --src $B4 --dst $A4 --sport 4801 --dport 5801
	stop_ok killed/next_start
	nf_expect killed/next_start_logs "$(nf_count "$NF_OUT" dir=ingress proto=udp sport=4801)" 1
}

# ---- a full ring: a one-page ring (-B 4) under a flood ----------------------

case_full_ring() {
	[ "$NF_MODE" = perf ] && { nf_skip full_ring "-B sizes the ring buffer; perf has its own"; return; }
	start_attached full_ring 2 -B 4 --port 5901 || return # only this flow can be lost
	nf_send 2 udp --src $B4 --dst $A4 --sport 4901 --dport 5901 --count 10000 --size 64
	stop_ok full_ring
	_ev=$(nf_count "$NF_OUT" dir=ingress proto=udp sport=4901)
	_l=$(nf_stat lost)
	# The point is exact accounting when the ring overflows; a reader that
	# kept up (a slow sender) has not shown it.
	if [ "${_l:-0}" -gt 0 ]; then nf_pass full_ring/overflowed; else
		nf_skip full_ring/overflowed "the reader kept up with the sender: nothing lost to count"; fi
	nf_expect full_ring/logged_plus_lost "$((_ev + ${_l:-0}))" 10000 "events + lost ($_ev + ${_l:-?})"
}

# ---- each --disable-* flag -----------------------------------------------

disable_traffic() {
	nf_send 2 udp --src $B4 --dst $A4 --sport 4101 --dport 5101
	nf_send 1 udp --src $A4 --dst $B4 --sport 5102 --dport 4102
	nf_send 2 tcp --src $B4 --dst $A4 --sport 4103 --dport 5103 --flags S
	nf_send 1 icmp --src $A4 --dst $B4
	nf_send 1 icmp --src $A6 --dst $B6
}

case_disable() {
	for _what in ingress egress tcp udp icmp; do
		_d=2
		case $_what in ingress | egress) _d=1 ;; esac
		start_attached "disable_$_what" $_d --disable-$_what || continue
		disable_traffic
		stop_ok "disable_$_what"
		# probe: name, enabled unless the flag names its dir or proto
		for _p in "udp_in:ingress:udp:sport=4101" "udp_out:egress:udp:sport=5102" \
			"tcp_syn_in:ingress:tcp:sport=4103" "tcp_rst_out:egress:tcp:dport=4103" \
			"icmp_req_out:egress:icmp:icmp_type=8" "icmp_reply_in:ingress:icmp:icmp_type=0" \
			"icmp6_req_out:egress:icmpv6:icmp_type=128" "icmp6_reply_in:ingress:icmpv6:icmp_type=129"; do
			_n=${_p%%:*} _r=${_p#*:}
			_dir=${_r%%:*} _r=${_r#*:}
			_pr=${_r%%:*} _tok=${_r#*:}
			_on=1
			[ "$_dir" = "$_what" ] && _on=0
			[ "${_pr%v6}" = "$_what" ] && _on=0
			want "disable_$_what/$_n" $_on dir=$_dir proto=$_pr $_tok
		done
		case $_what in
		ingress | egress) want "disable_$_what/none_$_what" 0 dir=$_what ;;
		icmp) want disable_icmp/no_icmp_at_all 0 proto=icmp
			want disable_icmp/no_icmpv6_at_all 0 proto=icmpv6 ;;
		*) want "disable_$_what/none_$_what" 0 proto=$_what ;;
		esac
	done
}

# ---- rate limit ------------------------------------------------------------

case_ratelimit() {
	start_attached ratelimit 2 --disable-full-log --log-interval 2 || return
	_f="dir=ingress proto=udp src=$B4 dst=$A4 sport=4200 dport=5200"
	nf_send 2 udp --src $B4 --dst $A4 --sport 4200 --dport 5200 --count 1000 --size 64
	_secs=$(sed -n 's/^sent 1000 in \([0-9.]*\) s$/\1/p' "$NF_TMP/sent")
	nf_check ratelimit/burst_under_1s "1000 packets took ${_secs:-?} s" awk -v s="${_secs:-9}" 'BEGIN { exit !(s < 1) }'
	sleep 2.5
	nf_send 2 udp --src $B4 --dst $A4 --sport 4200 --dport 5200 --count 500 --size 64
	sleep 0.2
	stop_ok ratelimit
	want ratelimit/events_for_flow 2 $_f
	want ratelimit/first_burst_once 1 $_f !suppressed_packets
	want ratelimit/second_burst_suppressed 1 $_f suppressed_packets=999 suppressed_bytes=$((999 * 92))
	want ratelimit/not_egress 0 proto=udp sport=4200 dir=egress
	stats_checks ratelimit
	_s=$(nf_stat seen)
	nf_check ratelimit/stats_seen_all_sent "packets seen '${_s}' < 1500 sent" [ "${_s:-0}" -ge 1500 ]
	_p=$(nf_stat suppress)
	nf_check ratelimit/stats_suppressed "suppressed '${_p}' < 1498 (999 + 499 held back)" \
		[ "${_p:-0}" -ge 1498 ]
}

# ---- --host / --port filters ---------------------------------------------

# Ingress: UDP from 3 IPv4 and 3 IPv6 sources in ns2 to ports 5301..5303
# (sport 4300). Egress: from ns1 with sport 5301/5302 to those hosts
# (dport 4399), so that the filters must also match dst and sport.
filter_traffic() {
	for _s in 10.77.0.2 10.77.0.3 10.77.0.66; do
		for _p in 5301 5302 5303; do nf_send 2 udp --src $_s --dst $A4 --sport 4300 --dport $_p; done
		for _p in 5301 5302; do nf_send 1 udp --src $A4 --dst $_s --sport $_p --dport 4399; done
	done
	for _s in fd77::2 fd77::3 fd77::1:5; do
		for _p in 5301 5302; do nf_send 2 udp --src $_s --dst $A6 --sport 4300 --dport $_p; done
	done
	for _s in fd77::2 fd77::3; do nf_send 1 udp --src $A6 --dst $_s --sport 5301 --dport 4399; done
}

# filter_case NAME WANT_IN WANT_OUT ARGS... -- TOKEN:N...: UDP events of
# the ingress and egress traffic, and per-token counts (over both).
filter_case() {
	_fc=$1 _in=$2 _out=$3
	shift 3
	_args=
	while [ "$1" != -- ]; do _args="$_args $1"; shift; done
	shift
	# shellcheck disable=SC2086
	start_attached "$_fc" 2 $_args || return
	filter_traffic
	stop_ok "$_fc"
	want "$_fc/udp_in" "$_in" dir=ingress proto=udp sport=4300
	want "$_fc/udp_out" "$_out" dir=egress proto=udp dport=4399
	for _t in "$@"; do want "$_fc/${_t%:*}" "${_t##*:}" proto=udp "${_t%:*}"; done
}

case_filters() {
	filter_case filter_host 5 3 --host 10.77.0.3 --host fd77::3 -- \
		src=10.77.0.3:3 dst=10.77.0.3:2 src=fd77::3:2 dst=fd77::3:1
	filter_case filter_prefix 5 2 --host 10.77.0.64/26 --host fd77::1:0/112 -- \
		src=10.77.0.66:3 dst=10.77.0.66:2 src=fd77::1:5:2
	filter_case filter_two_ports 9 5 --port 5301 --port 5303 -- \
		dport=5301:6 dport=5303:3 dport=5302:0 sport=5301:5 sport=5302:0
	filter_case filter_host_and_port 1 1 --host 10.77.0.3 --port 5301 -- \
		src=10.77.0.3:1 dport=5301:1 dst=10.77.0.3:1 sport=5301:1
}

# ---- traffic integrity -----------------------------------------------------

# integrity_round SPORT RATE: 10,000 datagrams from ns2 to a sink in ns1;
# sets _got (received) and _drops (kernel queue drops meanwhile).
integrity_round() {
	_sink=$NF_TMP/sink.$1
	rm -f "$_sink" # an earlier mode's "listening" must not count (see nf_tcp_conn)
	_d0=$(nf_kernel_drops)
	"$NF_IP" netns exec "$NS1" "$NFTOOL" sink --port 5400 --count 10000 --timeout 30 >"$_sink" 2>&1 &
	_sp=$!
	nf_bg_add $_sp
	nf_wait_file "$_sink" listening 5
	nf_send 2 udp --src $B4 --dst $A4 --sport "$1" --dport 5400 --count 10000 --size 64 --rate "$2"
	wait $_sp
	_got=$(sed -n 's/^received \([0-9]*\) .*/\1/p' "$_sink")
	_intact=$(sed -n 's/^received .* intact //p' "$_sink")
	_got=${_got:-0}
	_drops=$(($(nf_kernel_drops) - _d0))
}

case_integrity() {
	start_attached integrity 2 || return
	_rounds=1
	integrity_round 4401 50000
	if [ "$_got" -lt 10000 ] && [ $((_got + _drops)) -ge 10000 ]; then
		echo "integrity: $((10000 - _got)) lost in kernel queues (busy host?); again, slower" >&2
		_rounds=2
		integrity_round 4402 5000
	fi
	nf_expect integrity/all_delivered "$_got" 10000 \
		"datagrams received ($_drops kernel queue drops; $((10000 - _got - _drops)) unexplained)"
	nf_expect integrity/unaltered "${_intact:-0}" "$_got" "datagrams with the payload as sent"
	stop_ok integrity
	_ev=$(nf_count "$NF_OUT" dir=ingress proto=udp sport~440 dport=5400)
	_l=$(nf_stat lost) _s=$(nf_stat seen)
	nf_check integrity/stats_seen "packets seen '${_s}' < 10000" [ "${_s:-0}" -ge $((10000 * _rounds)) ]
	nf_expect integrity/logged_plus_lost "$((_ev + ${_l:-0}))" $((10000 * _rounds)) "events + lost ($_ev + ${_l:-?})"
}

# ---- -w pcapng -------------------------------------------------------------

tshark_reads() { tshark -n -r "$1" -c 1 >/dev/null 2>&1; }
tshark_count() { tshark -n -r "$1" -Y "$2" 2>/dev/null | wc -l | tr -d ' '; }

case_pcapng() {
	_cap=$NF_TMP/cap.pcapng
	start_attached pcapng 2 -w "$_cap" || return
	nf_send 2 udp --src $B4 --dst $A4 --sport 4500 --dport 5500 --count 5 --size 64
	nf_send 1 icmp --src $A4 --dst $B4 --count 3
	stop_ok pcapng
	nf_expect pcapng/no_text_output "$(wc -c <"$NF_OUT" | tr -d ' ')" 0 "stdout bytes"
	_magic=$(od -An -tx1 -N4 "$_cap" 2>/dev/null | tr -d ' \n')
	nf_expect pcapng/magic "$_magic" 0a0d0d0a "first block type"
	nf_expect pcapng/file_mode "$(stat -c %a "$_cap")" 600 "mode of the capture file"
	if ! command -v tshark >/dev/null 2>&1; then
		nf_skip pcapng/tshark "tshark is not installed here"
		return
	fi
	nf_check pcapng/tshark_reads "tshark cannot read the file" tshark_reads "$_cap"
	nf_expect pcapng/udp "$(tshark_count "$_cap" "!icmp && ip.src==$B4 && ip.dst==$A4 && udp.srcport==4500 && udp.dstport==5500 && frame.len==106")" 5 "packets"
	nf_expect pcapng/icmp_request "$(tshark_count "$_cap" "ip.src==$A4 && ip.dst==$B4 && icmp.type==8")" 3 "packets"
	nf_expect pcapng/icmp_reply "$(tshark_count "$_cap" "ip.src==$B4 && ip.dst==$A4 && icmp.type==0")" 3 "packets"
}

# -w - : the pcapng stream goes to stdout.
case_pcapng_stdout() {
	start_attached pcapng_stdout 2 -w - || return
	nf_send 2 udp --src $B4 --dst $A4 --sport 4501 --dport 5501 --count 2 --size 64
	stop_ok pcapng_stdout
	nf_expect pcapng_stdout/magic "$(od -An -tx1 -N4 "$NF_OUT" | tr -d ' \n')" 0a0d0d0a "first block type"
	if command -v tshark >/dev/null 2>&1; then
		nf_expect pcapng_stdout/udp "$(tshark_count "$NF_OUT" "!icmp && udp.srcport==4501 && udp.dstport==5501")" 2 "packets"
	fi
}

# ---- -c COUNT ----------------------------------------------------------------

case_count() {
	start_attached count 2 -c 5 || return
	nf_send 2 udp --src $B4 --dst $A4 --sport 4600 --dport 5600 --count 20 --rate 200
	if nf_wait_gone "$NF_PID" "$NF_WAIT"; then
		wait "$NF_PID"
		nf_expect count/exit_status $? 0 "status"
	else
		nf_fail count/exits_by_itself "still running $NF_WAIT s after 20 packets with -c 5"
		nf_stop KILL
	fi
	NF_PID=
	nf_expect count/events "$(wc -l <"$NF_OUT" | tr -d ' ')" 5 "lines"
}

# ---- cleanup -----------------------------------------------------------------

# Poll up to 3 s until none of the program ids is loaded (freeing is deferred).
progs_gone() {
	_i=0
	while :; do
		_left=$(in1 "$NFTOOL" progs | awk -v ids=" $* " 'index(ids, " " $1 " ")' | wc -l)
		[ "$_left" -eq 0 ] && return 0
		[ "$_i" -ge 30 ] && return 1
		sleep 0.1
		_i=$((_i + 1))
	done
}

nothing_left() { # CASE IDS...
	_c=$1
	shift
	nf_expect "$_c/no_program_on_vA" "$(nf_attached | wc -l | tr -d ' ')" 0 "programs still attached"
	if nf_have_tc; then
		nf_expect "$_c/tc_filter_show" "$(in1 tc filter show dev vA ingress; in1 tc filter show dev vA egress)" "" "tc filter show"
	fi
	nf_check "$_c/programs_unloaded" "program ids $* still loaded" progs_gone "$@"
}

case_cleanup() {
	start_attached cleanup_sigint 2 || return
	_ids=$(nf_attached | awk '{ print $2 }')
	nf_expect cleanup_sigint/programs_while_running "$(echo $_ids | wc -w | tr -d ' ')" 2 "attached program ids"
	stop_ok cleanup_sigint
	nothing_left cleanup_sigint $_ids
	if [ "$NF_MODE" = netlink ]; then
		want_clsact cleanup_sigint/clsact_removed 0
	fi
	# A closed terminal (SIGHUP) detaches as SIGINT does.
	start_attached cleanup_sighup 2 || return
	_ids=$(nf_attached | awk '{ print $2 }')
	nf_stop HUP
	nf_expect cleanup_sighup/exit_status "$NF_STOP_OK:$NF_RC" 1:0 "stopped in time:exit status"
	nothing_left cleanup_sighup $_ids
	start_attached cleanup_sigkill 2 || return
	_ids=$(nf_attached | awk '{ print $2 }')
	nf_expect cleanup_sigkill/programs_while_running "$(echo $_ids | wc -w | tr -d ' ')" 2 "attached program ids"
	nf_stop KILL
	if [ "$NF_MODE" = netlink ]; then
		_stale=$(in1 "$NFTOOL" filters vA | awk '$10 ~ /^nflux/' | wc -l | tr -d ' ')
		nf_expect cleanup_sigkill/stale_filters_left "$_stale" 2 "nflux filters after SIGKILL"
		in1 timeout 10 "$NFLUX" netrace --cleanup -i vA >/dev/null 2>"$NF_TMP/cleanup.err"
		nf_expect cleanup_sigkill/cleanup_status $? 0 "nflux netrace --cleanup status"
		want_clsact cleanup_sigkill/clsact_removed 0   # the killed run made it
	fi
	nothing_left cleanup_sigkill $_ids
	[ "$NF_MODE" = netlink ] && nf_have_tc && case_cleanup_foreign_qdisc
}

# ---- coexist: two runs on one interface -------------------------------------

# A second nflux on vA leaves the first one's programs in place (on
# netlink its sweep for stale filters must spare a live run's); both log
# the same traffic, and each removes only its own programs when it stops.
case_coexist() {
	start_attached coexist_first 2 || return
	_pid1=$NF_PID _out1=$NF_OUT _err1=$NF_ERR
	nf_bg_add "$_pid1"
	if ! start_attached coexist_second 4; then
		NF_PID=$_pid1
		nf_stop KILL
		return
	fi
	nf_send 2 udp --src $B4 --dst $A4 --sport 4301 --dport 5301 --count 5 --size 40
	stop_ok coexist_second
	nf_expect coexist/second_run_events "$(nf_count "$NF_OUT" dir=ingress sport=4301 dport=5301)" 5 "events of the second run"
	nf_expect coexist/first_still_attached "$(nf_attached | wc -l | tr -d ' ')" 2 "programs on vA after the second run stopped"
	nf_send 2 udp --src $B4 --dst $A4 --sport 4302 --dport 5302 --count 3 --size 40
	NF_PID=$_pid1 NF_OUT=$_out1 NF_ERR=$_err1
	stop_ok coexist_first
	nf_expect coexist/first_run_events_shared "$(nf_count "$NF_OUT" dir=ingress sport=4301 dport=5301)" 5 "events of the first run while both ran"
	nf_expect coexist/first_run_events_alone "$(nf_count "$NF_OUT" dir=ingress sport=4302 dport=5302)" 3 "events of the first run alone"
	nf_expect coexist/nothing_left "$(nf_attached | wc -l | tr -d ' ')" 0 "programs on vA after both stopped"
	[ "$NF_MODE" = netlink ] && want_clsact coexist/clsact_removed 0
}

want_clsact() { nf_expect "$1" "$(in1 "$NFTOOL" qdiscs vA | grep -c '^clsact ')" "$2" "clsact qdiscs"; }

# A clsact that was there before nflux stays after it.
case_cleanup_foreign_qdisc() {
	in1 tc qdisc add dev vA clsact
	want_clsact cleanup_keeps_clsact/clsact_before 1
	start_attached cleanup_keeps_clsact 2 || return
	stop_ok cleanup_keeps_clsact
	want_clsact cleanup_keeps_clsact/clsact_kept 1
	nf_expect cleanup_keeps_clsact/no_filters "$(in1 "$NFTOOL" filters vA | wc -l | tr -d ' ')" 0 "filters"
	in1 tc qdisc del dev vA clsact
}

# ---- the checker itself (under this shell's awk) ----------------------------

selftest() {
	NF_MODE=lib
	NF_OUT=$NF_TMP/selftest
	cat >"$NF_OUT" <<'EOF'
{"ts":"2026-11-28T04:05:06.123456Z","iface":"vA","ifindex":5,"dir":"ingress","family":"ipv6","proto":"tcp","src":"fd77::1:5","dst":"fd77::1","sport":41001,"dport":6001,"len":60,"ttl":64,"tcp_flags":["SYN","ACK"]}
{"ts":"2026-11-28T04:05:06.123456Z","iface":"vA","ifindex":5,"dir":"egress","family":"ipv4","proto":"udp","src":"10.77.0.1","dst":"10.77.0.2","len":52,"ttl":64,"vlan":10}
not json
EOF
	_r="$(nf_count "$NF_OUT" src=fd77::1:5 tcp_flags=SYN,ACK sport=41001)$(nf_count "$NF_OUT" tcp_flags=SYN)"
	_r="$_r$(nf_count "$NF_OUT" tcp_flags~ACK !vlan)$(nf_count "$NF_OUT" proto=udp !sport vlan=10 len!=60)"
	_r="$_r$(nf_count "$NF_OUT" _bad)$(nf_count "$NF_OUT" dir=ingress proto=udp)$(nf_values "$NF_OUT" len dir=egress)"
	_r="$_r$(nf_keys_bad "$NF_OUT" $TCP_KEYS "" proto=tcp)$(nf_keys_bad "$NF_OUT" $UDP_KEYS "$OPT_KEYS" proto=udp)"
	nf_expect selftest/event_matching "$_r" 1011105201 "match digits"
}

# ---- main ------------------------------------------------------------------

preflight() {
	[ "$(id -u)" = 0 ] || { echo "SKIP netrace: needs root"; exit 0; }
	for _b in "$NFLUX" "$NFTOOL"; do
		[ -x "$_b" ] || { echo "FAIL netrace/setup: $_b is missing (make all build/nftool)"; exit 1; }
	done
	if [ -z "$NF_IP" ] || ! ip netns list >/dev/null 2>&1; then
		echo "FAIL netrace/setup: no iproute2 ip with netns support (busybox ip is not enough; set NF_IP)"
		exit 1
	fi
}

preflight
if ! nf_setup; then
	echo "FAIL netrace/setup: could not build the namespaces and veth pair"
	exit 1
fi
nf_case_begin selftest
selftest
nf_case_end
for NF_MODE in $NF_MODES; do
	if [ "$NF_MODE" = tcx ] && ! in1 "$NFTOOL" tcx lo >/dev/null 2>&1; then
		nf_skip all "the kernel has no tcx (before 6.6): netlink path only"
		continue
	fi
	_cases=$NF_CASES
	[ "$NF_MODE" = perf ] && _cases=$NF_PERF_CASES
	[ "$NF_MODE" = netlink ] && _cases=${NF_NETLINK_CASES:-$NF_CASES}
	for _case in $_cases; do
		nf_case_begin "$_case"
		"case_$_case"
		nf_case_end
	done
done
[ "$NF_FAILS" -eq 0 ]
