#!/bin/sh
# The shipped binary: static, stripped, no libbpf/libelf/zlib, BPF objects
# embedded; the global CLI behaves as the original nflux.
B=${B:-build}
NFLUX=${NFLUX:-$B/nflux}
fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; fails=$((fails + 1)); }
check() { name=$1; shift; if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name" "$*"; fi; }

check "binary is statically linked" sh -c "file '$NFLUX' | grep -q 'statically linked'"
check "binary is stripped" sh -c "file '$NFLUX' | grep -q ', stripped'"
check "ldd: not a dynamic executable" sh -c "ldd '$NFLUX' 2>&1 | grep -q 'not a dynamic executable'"
check "no libbpf, libelf or zlib in the binary" sh -c \
	"! strings '$NFLUX' | grep -Eq 'libbpf|elf_begin|elf_version|inflateInit|deflateInit'"
check "Makefile links no libbpf, libelf or zlib" sh -c "! grep -Eq -- '-l(bpf|elf|z)\\b' Makefile"
# Every bpf/*.bpf.c is embedded packed (NFZ1), byte for byte; that each
# unpacks to its object is tests/unit/test_loader_unpack.c's.
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
bin_hex=$(hex "$NFLUX")
for obj in "$B"/bpf/*.bpf.o; do
	name=$(basename "$obj" .bpf.o)
	case "$bin_hex" in
	*"$(hex "$obj.nfz")"*) pass "embedded object $name is in the binary, whole (packed)" ;;
	*) fail "embedded object $name is in the binary, whole (packed)" "$obj.nfz not found in $NFLUX" ;;
	esac
done
check "--version prints the version" sh -c "'$NFLUX' --version | grep -Eq '^nflux [0-9]+\\.[0-9]+\\.[0-9]+$'"
check "--help lists netrace" sh -c "'$NFLUX' --help | grep -q netrace"
check "global option before the subcommand" sh -c "'$NFLUX' --log-format json netrace --help | grep -q -- --disable-full-log"
check "global option after the subcommand" sh -c "'$NFLUX' netrace --log-format json --help | grep -q -- --disable-full-log"
check "bad --log-level: exit 1" sh -c "'$NFLUX' --log-level loud netrace --help; [ \$? -eq 1 ]"
check "bad --log-format: one JSON-free line, exit 1" sh -c \
	"out=\$('$NFLUX' --log-format xml --help 2>&1); [ \$? -eq 1 ] && [ \$(printf '%s\\n' \"\$out\" | wc -l) -eq 1 ]"
check "unknown command: exit 1" sh -c "'$NFLUX' frobnicate; [ \$? -eq 1 ]"
check "json log format on stderr" sh -c "'$NFLUX' --log-format json frobnicate 2>&1 | grep -q '^{\"ts\":\"[0-9T:.-]*Z\",\"level\":\"error\"'"
# The folders are the pipeline: no include runs back up a stage.
check "no include runs back up the pipeline" sh tools/check-includes.sh
# ... and the check sees one: a copy of the tree with parse including kern.
upward=$(mktemp -d)
cp -r loader src bpf "$upward/"
sed -i '1i #include "kern/sys.h"' "$upward/loader/parse/btf.c"
check "the include check fails on parse including kern" sh -c "! sh tools/check-includes.sh '$upward'"
rm -rf "$upward"
[ "$fails" -eq 0 ]
