#!/bin/sh
# nflux tlstrace end to end with real OpenSSL peers on loopback: the cases
# are in tlstrace_suite.py (Debian's python3 is a peer anyway: its ssl
# module uses only the _ex forms).
[ "$(id -u)" = 0 ] || { echo "SKIP tlstrace: needs root"; exit 0; }
[ -x /usr/bin/python3 ] || { echo "SKIP tlstrace: /usr/bin/python3 is not installed"; exit 0; }
exec /usr/bin/python3 "$(dirname "$0")/tlstrace_suite.py"
