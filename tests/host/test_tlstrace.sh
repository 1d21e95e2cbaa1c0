#!/bin/sh
# nflux tlstrace end to end with real OpenSSL peers on loopback. With
# Debian's python3 (the host; NF_TLS_SH=1 runs the short cases instead),
# the cases are tlstrace_suite.py: its ssl
# module is a peer too, using only the _ex forms. Without it (the QEMU
# guests: busybox, nflux, openssl and their libraries), openssl s_server
# and s_client exchange one known line each way here, and tlstrace, probing
# the libssl they load, must show both, exactly, under the right pids.
NFLUX=${NFLUX:-$(cd "$(dirname "$0")/../.." && pwd)/build/nflux}
[ "$(id -u)" = 0 ] || { echo "SKIP tlstrace: needs root"; exit 0; }
[ -x /usr/bin/python3 ] && [ -z "$NF_TLS_SH" ] && exec /usr/bin/python3 "$(dirname "$0")/tlstrace_suite.py"

# One test case, openssl_tools: its checks print "ok"/"not ok" lines, and
# the case its one PASS or FAIL line at the end (or at the first check
# that stops it).
fails=0 oks=0 bad=
pass() { echo "ok tlstrace/openssl_tools/$1"; oks=$((oks + 1)); }
fail() {
	echo "not ok tlstrace/openssl_tools/$1: $2"
	fails=$((fails + 1))
	bad="$bad $1: $(printf '%s' "$2" | tr '\n' ' ' | cut -c1-200);"
}
verdict() {
	if [ "$fails" -gt 0 ]; then echo "FAIL tlstrace/openssl_tools:$bad" | cut -c1-600
	elif [ "$oks" -gt 0 ]; then echo "PASS tlstrace/openssl_tools ($oks checks)"; fi
}
command -v openssl >/dev/null || { echo "SKIP tlstrace: no openssl here"; exit 0; }
lib=
for l in /lib/*/libssl.so.3 /usr/lib/*/libssl.so.3 /lib/libssl.so.3 /usr/lib/libssl.so.3; do
	[ -f "$l" ] && { lib=$l; break; }
done
[ -n "$lib" ] || { echo "SKIP tlstrace: no libssl.so.3 here"; exit 0; }

T=$(mktemp -d)
TR= SRV= FEED=
cleanup() {
	for p in $TR $SRV $FEED; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
	verdict
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The guests have no openssl.cnf: a minimal one. An EC key: RSA
# generation is slow under TCG.
printf '[req]\ndistinguished_name=dn\n[dn]\n' >"$T/openssl.cnf"
export OPENSSL_CONF="$T/openssl.cnf"
openssl req -config "$T/openssl.cnf" -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=localhost -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 ||
	{ fail setup "openssl req failed"; exit 1; }
"$NFLUX" --log-format json tlstrace --lib "$lib" --comm openssl >"$T/ev" 2>"$T/err" &
TR=$!
i=0
until grep -q 'tlstrace: attached' "$T/err" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $TR 2>/dev/null; then
		fail attached "$(tail -c 300 "$T/err")"
		exit 1
	fi
	sleep 0.1
done
pass attached

mkfifo "$T/in"
(printf 'from the server\n'; sleep 30) >"$T/in" &
FEED=$!
openssl s_server -accept 127.0.0.1:44443 -cert "$T/cert.pem" -key "$T/key.pem" -quiet \
	<"$T/in" >"$T/srv.out" 2>&1 &
SRV=$!
sleep 2
(printf 'from the client\n'; sleep 3) | openssl s_client -connect 127.0.0.1:44443 -quiet \
	>"$T/cli.out" 2>/dev/null &
CLI=$!
wait $CLI
sleep 1
kill -INT $TR
wait $TR
TR=
# base64 of the two lines, and the pids that sent or received them.
CLIENT=ZnJvbSB0aGUgY2xpZW50Cg==
SERVER=ZnJvbSB0aGUgc2VydmVyCg==
has() { grep "\"pid\":$1," "$T/ev" | grep "\"dir\":\"$2\"" | grep -q "\"data\":\"$3\""; }
has $CLI write $CLIENT && pass client_write || fail client_write "$(head -c 400 "$T/ev")"
has $SRV read $CLIENT && pass server_read || fail server_read "$(head -c 400 "$T/ev")"
has $SRV write $SERVER && pass server_write || fail server_write "$(head -c 400 "$T/ev")"
has $CLI read $SERVER && pass client_read || fail client_read "$(head -c 400 "$T/ev")"
grep -q '"comm":"openssl"' "$T/ev" && ! grep -v '"comm":"openssl"' "$T/ev" | grep -q . &&
	pass only_openssl || fail only_openssl "$(grep -v '"comm":"openssl"' "$T/ev" | head -c 200)"
grep -q '"src":"127.0.0.1"' "$T/ev" && pass four_tuple || fail four_tuple "$(head -c 300 "$T/ev")"
grep -q '^0 bytes lost' "$T/err" && pass nothing_lost || fail nothing_lost "$(tail -n 6 "$T/err")"
[ $fails -eq 0 ]
