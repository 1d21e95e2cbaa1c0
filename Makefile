# nflux: one static binary with its BPF objects embedded.
# Targets: all (build/nflux), deps, run, test, unit, test-host, test-qemu,
#          initramfs, bench, clean.
# ARCH=aarch64 cross-builds build/aarch64/nflux and nftool (clang + lld
# against Debian's arm64 musl, tests/qemu/sysroot.sh); test-qemu and
# initramfs then take the arm64 kernels and busybox.

VERSION     := 0.3.0
B           := build
ARCH_TRIPLE := $(shell gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)

CC          := musl-gcc
CLANG       ?= clang
NPROC       := $(shell nproc 2>/dev/null || echo 2)
HOSTCC      ?= gcc

WARN        := -Wall -Wextra -Werror
COMMON      := -std=c11 -D_GNU_SOURCE -DNFLUX_VERSION=\"$(VERSION)\" $(WARN) \
               -Iloader -Isrc -Ibpf
# musl-gcc must not see glibc's headers: give it a private tree with only the UAPI.
UAPI        := $(B)/uapi
UAPI_ROOT   := /usr/include
CFLAGS      := $(COMMON) -O2 -isystem $(UAPI)
LDFLAGS     := -static -s
LDLIBS      :=
BPF_ARCH    := x86
QEMU_ENV    :=

# The arm64 root (musl, UAPI headers, libgcc, busybox, the guests' peers)
# that tests/qemu/sysroot.sh unpacks (make deps ARCH=aarch64).
ARM64_ROOT  ?= /var/cache/nflux/arm64/root

ifeq ($(ARCH),aarch64)
# Cross build against ARM64_ROOT.
SYSROOT     ?= $(ARM64_ROOT)
B           := build/aarch64
ARCH_TRIPLE := aarch64-linux-gnu
UAPI        := $(B)/uapi
UAPI_ROOT   := $(SYSROOT)/usr/include
MUSL_LIB    := $(SYSROOT)/usr/lib/aarch64-linux-musl
LIBGCC      := $(lastword $(sort $(wildcard $(SYSROOT)/usr/lib/gcc/aarch64-linux-gnu/*/libgcc.a)))
CC          := $(CLANG) --target=aarch64-linux-musl -nostdlibinc \
               -isystem $(SYSROOT)/usr/include/aarch64-linux-musl
CFLAGS      := $(COMMON) -O2 -isystem $(UAPI)
# musl's printf needs libgcc's long-double helpers.
LDFLAGS     := -static -s -fuse-ld=lld -nostdlib $(MUSL_LIB)/crt1.o $(MUSL_LIB)/crti.o
LDLIBS      := $(MUSL_LIB)/libc.a $(LIBGCC) $(MUSL_LIB)/crtn.o
BPF_ARCH    := arm64
QEMU_ENV    := B=$(B) NFLUX_ARCH=aarch64 LIBROOT=$(SYSROOT)
ifeq ($(wildcard $(MUSL_LIB)/libc.a),)
ifeq ($(filter deps clean,$(MAKECMDGOALS)),)
$(error no arm64 musl root in $(SYSROOT): run make deps ARCH=aarch64)
endif
endif
ifneq ($(filter test unit test-host run bench,$(MAKECMDGOALS)),)
$(error ARCH=aarch64 builds, makes images and runs test-qemu; the host's tests are x86_64's)
endif
endif

# Sources are found by folder (the pipeline's stages); a new file needs no
# edit here.
LOADER_DIRS := loader loader/parse loader/kern loader/attach loader/read
SRC_DIRS    := src src/out src/netrace src/tlstrace
LOADER_SRC  := $(sort $(foreach d,$(LOADER_DIRS),$(wildcard $(d)/*.c)))
SRC_SRC     := $(sort $(filter-out src/main.c,$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))))
LIB_SRC     := $(LOADER_SRC) $(SRC_SRC)
BPF_SRC     := $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJ     := $(patsubst bpf/%.bpf.c,$(B)/bpf/%.bpf.o,$(BPF_SRC))
HDRS        := $(foreach d,$(LOADER_DIRS) $(SRC_DIRS) bpf,$(wildcard $(d)/*.h))

BPF_CFLAGS  := -target bpf -O2 -g $(WARN) -Wno-unused-function \
               -I$(UAPI_ROOT)/$(ARCH_TRIPLE) -Ibpf -D__TARGET_ARCH_$(BPF_ARCH)

.PHONY: all deps run test unit unit-plain unit-asan test-host test-qemu \
        initramfs bench clean fixtures

all: $(B)/nflux

deps:
	@sh tools/deps.sh $(ARCH)

$(UAPI)/.stamp:
	@mkdir -p $(UAPI)
	@ln -sfn $(UAPI_ROOT)/linux $(UAPI)/linux
	@ln -sfn $(UAPI_ROOT)/asm-generic $(UAPI)/asm-generic
	@ln -sfn $(UAPI_ROOT)/$(ARCH_TRIPLE)/asm $(UAPI)/asm
	@touch $@

# DWARF is dropped (BTF and BTF.ext stay), and so is .rel.BTF.ext (the
# relocations of the BTF.ext records against their sections, which the
# loader, like libbpf, never reads: the records name their sections): the
# objects are embedded, and the loader reads none of it.
LLVM_STRIP  ?= llvm-strip
$(B)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(LLVM_STRIP) -g --remove-section=.rel.BTF.ext $@

# Every bpf/*.bpf.o is embedded compressed, as $(B)/bpf/NAME.bpf.o.nfz:
# NFZ1 (loader/unpack.h), written by the host tool $(B)/pack
# (tools/pack.c, never linked into nflux) and read back by
# nf_embedded_unpack (loader/embed.c, loader/unpack.c) when an object is
# parsed. build/embed.S is generated from the list.
BPF_NFZ     := $(patsubst %,%.nfz,$(BPF_OBJ))
$(B)/pack: tools/pack.c loader/unpack.c loader/unpack.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=c11 -O2 $(WARN) -Iloader -o $@ tools/pack.c loader/unpack.c

$(B)/bpf/%.bpf.o.nfz: $(B)/bpf/%.bpf.o $(B)/pack
	$(B)/pack $< $@

$(B)/embed.S: $(BPF_NFZ) tools/gen-embed.sh
	@sh tools/gen-embed.sh $(BPF_NFZ) > $@

$(B)/musl/%.o: %.c $(HDRS) $(UAPI)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

MUSL_OBJ := $(patsubst %.c,$(B)/musl/%.o,$(LIB_SRC) src/main.c)

$(B)/nflux: $(MUSL_OBJ) $(B)/embed.S
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(MUSL_OBJ) $(B)/embed.S $(LDLIBS)

# ---- tests --------------------------------------------------------------
# Unit tests link the library sources with glibc (plain gcc, and clang with
# ASan+UBSan). Each tests/unit/test_*.c is its own binary.
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
HOST_SRC    := $(sort $(wildcard tests/host/test_*.c))
TEST_HELP   := $(sort $(wildcard tests/lib/*.c))
FIX_SRC     := $(sort $(wildcard tests/fixtures/*.bpf.c))
FIX_OBJ     := $(patsubst tests/fixtures/%.bpf.c,$(B)/fixtures/%.bpf.o,$(FIX_SRC))
TCFLAGS     := $(COMMON) -Itests/lib -Itests/tool -O1 -g

$(B)/fixtures/%.bpf.o: tests/fixtures/%.bpf.c $(wildcard bpf/*.h tests/fixtures/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -Itests/fixtures -c $< -o $@

# Host binaries for the ELF symbol reader (tests/unit/test_parse_elf_sym.c),
# per toolchain: a versioned shared library, a stripped copy (.dynsym only),
# a PIE (-rdynamic) and a non-PIE executable; beside each, readelf's and
# nm's reading of it, the ground truth the test compares against. "lld" is
# clang linking with ld.lld, when it is installed.
HF          := $(B)/hostfix
HF_SRC      := tests/fixtures/host
HF_CC_gcc   := $(HOSTCC)
HF_CC_clang := $(CLANG)
HF_CC_lld   := $(CLANG) -fuse-ld=lld
HF_KINDS    := gcc clang $(if $(shell command -v ld.lld 2>/dev/null),lld)
HF_CFLAGS   := -O2 $(WARN)
HF_BIN      := $(foreach k,$(HF_KINDS),$(addprefix $(HF)/$(k)/,libvers.so libvers-stripped.so pie nopie))
HF_OUT      := $(HF_BIN) $(foreach f,$(HF_BIN),$(f).syms $(f).phdrs $(f).nm)

$(HF)/%/libvers.so: $(HF_SRC)/vers.c $(HF_SRC)/vers_b.c $(HF_SRC)/vers.map
	@mkdir -p $(dir $@)
	$(HF_CC_$*) $(HF_CFLAGS) -fPIC -shared -Wl,--version-script=$(HF_SRC)/vers.map -o $@ $(filter %.c,$^)
$(HF)/%/libvers-stripped.so: $(HF)/%/libvers.so
	strip -o $@ $<
$(HF)/%/pie: $(HF_SRC)/exe.c
	@mkdir -p $(dir $@)
	$(HF_CC_$*) $(HF_CFLAGS) -fPIE -pie -rdynamic -o $@ $<
$(HF)/%/nopie: $(HF_SRC)/exe.c
	@mkdir -p $(dir $@)
	$(HF_CC_$*) $(HF_CFLAGS) -fno-pie -no-pie -o $@ $<
$(HF)/%.syms: $(HF)/%
	readelf -W -s $< > $@.tmp && mv $@.tmp $@
$(HF)/%.phdrs: $(HF)/%
	readelf -lW $< > $@.tmp && mv $@.tmp $@
$(HF)/%.nm: $(HF)/%
	nm -D --defined-only $< > $@.tmp 2>/dev/null && mv $@.tmp $@

# A Go program linking crypto/tls (tlstrace's Go support), when Debian's
# golang-go is installed; beside it, `go version`'s reading of it.
GO          := $(shell command -v go 2>/dev/null)
HF_GO       := $(if $(GO),$(HF)/go/gotls $(HF)/go/gotls.version)
GO_ENV      = GOCACHE=$(abspath $(HF))/go/cache GOPATH=$(abspath $(HF))/go/path \
	      HOME=$(abspath $(HF))/go GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 GO111MODULE=off
$(HF)/go/gotls: $(HF_SRC)/gotls.go
	@mkdir -p $(dir $@)
	$(GO_ENV) $(GO) build -o $@ $<
$(HF)/go/gotls.version: $(HF)/go/gotls
	$(GO_ENV) $(GO) version $< > $@.tmp && mv $@.tmp $@

fixtures: $(FIX_OBJ) $(BPF_OBJ) $(HF_OUT) $(HF_GO)

# Library objects are built once per variant and archived; each test links
# its own main against the archive.
ASAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
$(B)/plain/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TCFLAGS) -c $< -o $@
$(B)/asan/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(TCFLAGS) $(ASAN_FLAGS) -c $< -o $@

LIBT_SRC    := $(LIB_SRC) $(TEST_HELP)
$(B)/plain/libnf.a: $(patsubst %.c,$(B)/plain/obj/%.o,$(LIBT_SRC))
	@rm -f $@; ar rcs $@ $^
$(B)/asan/libnf.a: $(patsubst %.c,$(B)/asan/obj/%.o,$(LIBT_SRC))
	@rm -f $@; ar rcs $@ $^

$(B)/plain/%: tests/%.c $(B)/plain/libnf.a $(B)/embed.S $(HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TCFLAGS) -o $@ $< $(B)/embed.S $(B)/plain/libnf.a

$(B)/asan/%: tests/%.c $(B)/asan/libnf.a $(B)/embed.S $(HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(TCFLAGS) $(ASAN_FLAGS) -o $@ $< $(B)/embed.S $(B)/asan/libnf.a

# build/nftool: static test helper (crafted traffic, program and filter
# listing) that runs on the host and inside QEMU guests.
TOOL_SRC    := $(sort $(wildcard tests/tool/*.c))
LIB_MUSL    := $(patsubst %.c,$(B)/musl/%.o,$(LIB_SRC))
$(B)/nftool: $(patsubst %.c,$(B)/musl/%.o,$(TOOL_SRC)) $(LIB_MUSL) $(B)/embed.S
	$(CC) $(CFLAGS) -Itests/tool $(LDFLAGS) -o $@ $^ $(LDLIBS)
TOOL_BIN    := $(if $(TOOL_SRC),$(B)/nftool)

UNIT_PLAIN  := $(patsubst tests/%.c,$(B)/plain/%,$(UNIT_SRC))
UNIT_ASAN   := $(patsubst tests/%.c,$(B)/asan/%,$(UNIT_SRC))
HOST_BIN    := $(patsubst tests/%.c,$(B)/plain/%,$(HOST_SRC))

test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all fixtures $(TOOL_BIN) $(UNIT_PLAIN) $(UNIT_ASAN) $(HOST_BIN) $(FUZZ_BUILD)
ifneq ($(NFLUX_TEST_ARM64),0)
	@sh tools/deps.sh aarch64
	@$(MAKE) --no-print-directory -j$(NPROC) ARCH=aarch64 all
endif
	@sh tests/run.sh all

unit: all fixtures $(UNIT_PLAIN) $(UNIT_ASAN)
	@sh tests/run.sh unit

test-host: all fixtures $(TOOL_BIN) $(HOST_BIN)
	@sh tests/run.sh host

test-qemu: all $(TOOL_BIN)
	@KERNELS="$(KERNELS)" $(QEMU_ENV) sh tests/run.sh qemu-only

run: deps
	@$(MAKE) --no-print-directory all
	$(B)/nflux netrace $(ARGS)

initramfs: all
	@$(QEMU_ENV) sh initramfs/build.sh $(B)/initramfs.cpio.gz $(B)/nflux "$(MODULES)" "$(EXTRA)"

# The footprint table sizes build/aarch64/nflux too: rebuilt first when the
# arm64 root is there (make deps ARCH=aarch64), so that it is never stale.
bench: all
	@if [ -f $(ARM64_ROOT)/usr/lib/aarch64-linux-musl/libc.a ]; then \
		$(MAKE) --no-print-directory -j$(NPROC) ARCH=aarch64 all; fi
	@sh bench/run.sh

clean:
	rm -rf $(B)

ifeq ($(ARCH),aarch64)
# The guests need nftool beside nflux.
all: $(TOOL_BIN)
endif

include tests/fuzz/fuzz.mk
