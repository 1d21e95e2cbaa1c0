#!/bin/sh
# The seed corpora: tests/fuzz/seeds.c's built inputs (run first, as
# "$SEEDS_BIN"), then copies of real files: the BPF objects (ours and the
# test fixtures) and their .BTF sections, ours packed (NFZ1, for unpack),
# the host ELF fixtures and their .text, /etc/ld.so.cache,
# /proc/self/maps, /proc/self/net/tcp and tcp6.
# Usage: seeds.sh SEEDS_BIN BUILD_DIR OUT_DIR
set -eu
bin=$1 B=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
"$bin" "$out"
mkdir -p "$out/obj" "$out/btf" "$out/elf_sym" "$out/insn" "$out/ld_cache" "$out/proc_maps" "$out/proc_net" "$out/unpack"
for z in "$B"/bpf/*.bpf.o.nfz; do
	[ -f "$z" ] && cp "$z" "$out/unpack/$(basename "$z" .bpf.o.nfz)"
done
for o in "$B"/bpf/*.bpf.o "$B"/fixtures/*.bpf.o; do
	[ -f "$o" ] || continue
	n=$(basename "$(dirname "$o")")-$(basename "$o" .bpf.o)
	cp "$o" "$out/obj/$n"
	${LLVM_OBJCOPY:-llvm-objcopy} --dump-section ".BTF=$out/btf/$n" "$o" /dev/null 2>/dev/null || true
done
for f in "$B"/hostfix/*/libvers.so "$B"/hostfix/*/libvers-stripped.so "$B"/hostfix/*/pie "$B"/hostfix/*/nopie; do
	[ -f "$f" ] || continue
	n=$(basename "$(dirname "$f")")-$(basename "$f")
	cp "$f" "$out/elf_sym/$n"
	# their machine code, for the instruction decoder
	${LLVM_OBJCOPY:-llvm-objcopy} --dump-section ".text=$out/insn/$n" "$f" /dev/null 2>/dev/null || true
done
[ -r /etc/ld.so.cache ] && cp /etc/ld.so.cache "$out/ld_cache/ld.so.cache"
cat /proc/self/maps > "$out/proc_maps/self"
for t in tcp tcp6; do
	[ -r /proc/self/net/$t ] && cat /proc/self/net/$t > "$out/proc_net/$t"
done
exit 0
