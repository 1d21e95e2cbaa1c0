#!/bin/sh
# Bad input to every option of both commands: one line on stderr that
# names the option (or the value, for an unknown interface or command),
# nothing on stdout, exit status 1, never a crash or a hang. Each option is
# one test case; its bad values are its checks. Root: past the option
# parser, the checks of files and interfaces run. Each run stops at its
# bad value; should one not, netrace runs in a network namespace of this
# test's own (never on the host's interfaces) and under a timeout.
NFLUX=${NFLUX:-$(cd "$(dirname "$0")/../.." && pwd)/build/nflux}
[ "$(id -u)" = 0 ] || { echo "SKIP bad_input: needs root"; exit 0; }
command -v ip >/dev/null || { echo "SKIP bad_input: no ip (iproute2)"; exit 0; }
T=$(mktemp -d)
NS=nf_bad_$$
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
ip netns add "$NS" || { echo "FAIL bad_input/setup: ip netns add"; exit 1; }
printf 'plain text\n' >"$T/text"
ln -s "$T/text" "$T/link"
fails=0 case_name= case_ok=0 case_bad=

begin() { case_name=$1 case_ok=0 case_bad=; }
end() {
	if [ -n "$case_bad" ]; then echo "FAIL bad_input/$case_name:$case_bad" | cut -c1-600
	else echo "PASS bad_input/$case_name ($case_ok checks)"; fi
}

# bad WORD ARGS...: nflux ARGS must fail so, its one line naming WORD.
bad() {
	_w=$1
	shift
	ip netns exec "$NS" timeout 20 "$NFLUX" "$@" >"$T/out" 2>"$T/err" </dev/null
	_rc=$? _n=$(grep -c . "$T/err")
	if [ "$_rc" = 1 ] && [ "$_n" = 1 ] && grep -q -F -e "$_w" "$T/err" && [ ! -s "$T/out" ]; then
		echo "ok bad_input/$case_name: $*"
		case_ok=$((case_ok + 1))
	else
		echo "not ok bad_input/$case_name: $*: status $_rc, $_n lines: $(head -c 200 "$T/err")"
		case_bad="$case_bad $*: status $_rc, $_n lines;"
		fails=$((fails + 1))
	fi
}

# option CMD OPT VALUE...: each value is bad for OPT of CMD.
option() {
	_cmd=$1 _opt=$2
	shift 2
	begin "$_cmd$_opt"
	for _v in "$@"; do
		case $_cmd in
		netrace) bad "$_opt" netrace -i lo "$_opt" "$_v" ;;
		*) bad "$_opt" tlstrace "$_opt" "$_v" ;;
		esac
	done
	end
}

option netrace -c -1 0 abc "" 99999999999999999999999 1.5
option netrace -s -1 x "" 1e9
option netrace --log-interval 0 -3 abc "" 1e99
option netrace --host "" 1.2.3.4/33 300.1.1.1 fe80::/129 host.example
option netrace --port -1 0 70000 http ""
option netrace -B 0 -1 x "" 2G 1048577 99999999999999999999
option netrace -w "" "$T" "$T/link" /nonexistent/dir/x
begin netrace-i
bad nosuch0 netrace -i nosuch0
bad -i netrace -i ""
end
option tlstrace -p -1 0 abc "" 99999999999
option tlstrace --comm "" 0123456789abcdefX
option tlstrace --max-bytes 0 -1 5M x ""
option tlstrace -c 0 -2 x ""
option tlstrace --lib "" /nonexistent "$T" "$T/text"
option tlstrace --binary /nonexistent "$T" "$T/text"
option tlstrace --openssl-path /nonexistent "$T" "$T/text"
option tlstrace -w "" "$T" "$T/link"
begin global
bad --log-level --log-level bogus netrace
bad --log-format --log-format xml netrace
bad nosuchcmd nosuchcmd
bad --bogus netrace --bogus
bad --bogus tlstrace --bogus
end
[ "$fails" -eq 0 ]
