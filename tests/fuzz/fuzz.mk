# libFuzzer harnesses of the pure parsers (tests/fuzz/fuzz_*.c), included
# by the Makefile. Each harness links the library sources built with
# clang's ASan + UBSan and libFuzzer's coverage (-fsanitize=fuzzer-no-link;
# only the harness gets -fsanitize=fuzzer, libFuzzer's main), in $(B)/fuzz,
# apart from every other build. Seed corpora go to $(B)/fuzz/seeds.
#   make fuzz [FUZZ_SECONDS=600]   build, then run each for that long
#   make fuzz-build                build only (make test does this)
# Without clang's libFuzzer runtime (Debian: libclang-rt-14-dev, make
# deps) nothing is built and tests/fuzz/run.sh prints SKIP lines.
FZ           := $(B)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(FZ)/%,$(FUZZ_SRC))
FUZZ_RT      := $(if $(filter aarch64,$(ARCH)),,$(wildcard $(shell $(CLANG) -print-resource-dir 2>/dev/null)/lib/linux/libclang_rt.fuzzer-$(shell uname -m).a))
FZ_FLAGS     := $(TCFLAGS) $(ASAN_FLAGS) -Itests/fuzz
FUZZ_BUILD   := $(if $(FUZZ_RT),$(FUZZ_BIN) $(FZ)/seeds/.stamp)

.PHONY: fuzz fuzz-build

$(FZ)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FZ)/libnf.a: $(patsubst %.c,$(FZ)/obj/%.o,$(LIBT_SRC))
	@rm -f $@; ar rcs $@ $^

# Linked as the unit tests are, with the embedded objects (the library
# names them: nf_obj_parse_embedded).
$(FZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FZ)/libnf.a $(B)/embed.S $(HDRS)
	$(CLANG) $(FZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(B)/embed.S $(FZ)/libnf.a

$(FZ)/mkseeds: tests/fuzz/seeds.c $(FZ)/libnf.a $(B)/embed.S $(HDRS)
	$(CLANG) $(FZ_FLAGS) -o $@ $< $(B)/embed.S $(FZ)/libnf.a

$(FZ)/seeds/.stamp: $(FZ)/mkseeds tests/fuzz/seeds.sh $(BPF_OBJ) $(BPF_NFZ) $(FIX_OBJ) $(HF_BIN)
	@sh tests/fuzz/seeds.sh $(FZ)/mkseeds $(B) $(FZ)/seeds
	@touch $@

fuzz-build: $(FUZZ_BUILD)

fuzz: fuzz-build
	@B=$(B) FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh
