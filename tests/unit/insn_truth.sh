#!/bin/sh
# The instruction decoder's ground truth (tests/unit/test_parse_insn.c runs
# this at test time): build one fixture and write objdump's reading of its
# .text as lines
#   F ADDR NAME   a symbol objdump starts a function at (up to the next F
#                 or the section's end)
#   I ADDR        an instruction
#   X ADDR        bytes objdump cannot decode (x86: "(bad)", ".byte")
#   R ADDR        the instruction at ADDR is a return
# Usage: insn_truth.sh KIND DIR: writes DIR/KIND.elf and DIR/KIND.truth.
# Exit 0; 2 with "SKIP why" on stdout when KIND's tools are missing; else 1.
# KIND: gcc clang gcc-v3 clang-avx512 go libc arm64-gcc arm64-clang go-arm64
set -eu
kind=$1 dir=$(cd "$2" && pwd)
here=$(dirname "$0")
fix=$here/../fixtures/insn
elf=$dir/$kind.elf
CC=${HOSTCC:-gcc}
CLANG=${CLANG:-clang}

skip() {
	echo "SKIP $*"
	exit 2
}

have() { command -v "$1" >/dev/null 2>&1; }

# go_build GOARCH: the Go fixture, stdlib only, with caches of its own.
go_build() {
	have go || skip "no go toolchain (Debian: golang-go)"
	g=$dir/go-$1
	mkdir -p "$g"
	cp "$here/../fixtures/host/gotls.go" "$g/main.go"
	printf 'module nfinsnfix\n\ngo 1.19\n' >"$g/go.mod"
	(cd "$g" && HOME="$g" GOCACHE="$g/cache" GOPATH="$g/path" GOFLAGS=-mod=mod \
		GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 GOOS=linux GOARCH=$1 \
		go build -o "$elf" .) >&2
	rm -rf "$g"
}

# arm64: the disassembler is $ARM64_OBJDUMP, binutils', else LLVM's.
arm64() {
	arch=arm64
	if [ -n "${ARM64_OBJDUMP:-}" ]; then
		OBJDUMP=$ARM64_OBJDUMP
	elif have aarch64-linux-gnu-objdump; then
		OBJDUMP=aarch64-linux-gnu-objdump
	elif have llvm-objdump; then
		OBJDUMP="llvm-objdump --mattr=+v8.3a" # else RETAA and RETAB are <unknown>
	else
		skip "no aarch64-linux-gnu-objdump or llvm-objdump"
	fi
}

OBJDUMP=objdump
arch=x86
case $kind in
gcc) $CC -O2 -fcf-protection=full -o "$elf" "$fix/shapes.c" ;;
clang) $CLANG -O2 -o "$elf" "$fix/shapes.c" ;;
gcc-v3) $CC -O3 -march=x86-64-v3 -fcf-protection=full -o "$elf" "$fix/shapes.c" ;;
clang-avx512) $CLANG -O3 -march=skylake-avx512 -o "$elf" "$fix/shapes.c" ;;
go) go_build amd64 ;;
libc)
	# the system's own C library: hand-written SSE/AVX2/AVX-512 string functions
	lib=$($CC -print-file-name=libc.so.6)
	[ -f "$lib" ] || skip "$CC knows no libc.so.6"
	cp "$lib" "$elf" ;;
arm64-gcc)
	have aarch64-linux-gnu-gcc || skip "no aarch64-linux-gnu-gcc"
	arm64
	aarch64-linux-gnu-gcc -O2 -ffreestanding -mbranch-protection=standard -c -o "$elf" "$fix/shapes.c" ;;
arm64-clang)
	arm64
	$CLANG --target=aarch64-linux-gnu -march=armv8.3-a -mbranch-protection=pac-ret \
		-ffreestanding -O2 -c -o "$elf" "$fix/shapes.c" 2>/dev/null ||
		skip "clang cannot build for aarch64-linux-gnu"
	;;
go-arm64)
	arm64
	go_build arm64 ;;
*) echo "unknown kind $kind" >&2; exit 1 ;;
esac

# objdump -z: runs of zero bytes are instructions too, not "...".
$OBJDUMP -d -z --no-show-raw-insn -j .text "$elf" | awk -v arch=$arch '
/^[0-9a-f]+ <.*>:$/ {
	name = substr($0, index($0, "<") + 1)
	sub(/>:$/, "", name)
	print "F", $1, name
	next
}
/^ *[0-9a-f]+:[ \t]/ {
	split($0, f, "\t")
	addr = f[1]
	sub(/^ */, "", addr)
	sub(/:.*$/, "", addr)
	text = f[2]
	if (arch == "x86") {
		bad = text ~ /^(\(bad\)|\.byte)/
		# prefixes objdump names before the mnemonic, then ret (not lret, iret)
		ret = text ~ /^((rep[nz]?|bnd|notrack|cs|ds|es|ss|data16|rex(\.[WRXB]+)?) +)*ret[wq]?( |$)/
	} else {
		bad = 0 # every word is one, whatever it means
		ret = text ~ /^ret(aa|ab)?([ \t]|$)/
	}
	print (bad ? "X" : "I"), addr
	if (ret)
		print "R", addr
}' >"$dir/$kind.truth"
