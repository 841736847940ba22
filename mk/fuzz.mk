# libFuzzer targets (clang, ASan+UBSan): fuzz/README.md explains them.
#   make fuzz [FUZZ_TIME=secs] [FUZZ_JOBS=n]  fuzz each target, growing
#                                             build/fuzz/corpus-NAME
#   make fuzz-check                           replay the committed corpus and
#                                             regressions, then fuzz briefly (CI)

FUZZ_BUILD   := build/fuzz
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 60
FUZZ_JOBS    ?= 1
FUZZ_BRIEF   ?= 10
FUZZ_NAMES   := elf exit fs gdb
FUZZ_BINS    := $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_NAMES))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   = -std=gnu11 -O1 -g $(WARN) -D_GNU_SOURCE -MMD -MP -Iinclude -I. -I$(GEN_DIR) \
                $(PKG_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LIB_OBJS := $(patsubst %,$(FUZZ_BUILD)/obj/%.o,$(basename $(LIB_SRCS) $(LIB_ASM)))
FUZZ_STAMP   := $(FUZZ_BUILD)/.deps-ok
FUZZ_DEBS    := clang libclang-rt-dev

.PHONY: fuzz fuzz-build fuzz-check fuzz-seeds
fuzz-build: $(FUZZ_BINS)

# libFuzzer ships with Debian's clang runtime package, not with clang.
$(FUZZ_STAMP): | $(DEPS_STAMP)
	$(Q)mkdir -p $(@D); probe='int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }'; \
	if ! echo "$$probe" | $(FUZZ_CC) -fsanitize=fuzzer -x c - -o $(@D)/probe 2>/dev/null; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        echo "kvmelf: installing Debian packages for fuzzing: $(FUZZ_DEBS)"; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	            apt-get install -y -qq $(FUZZ_DEBS) >/dev/null; \
	    fi; \
	    echo "$$probe" | $(FUZZ_CC) -fsanitize=fuzzer -x c - -o $(@D)/probe || { \
	        echo "kvmelf: $(FUZZ_CC) cannot build libFuzzer targets; as root run:" >&2; \
	        echo "    apt-get install -y $(FUZZ_DEBS)" >&2; exit 1; }; \
	fi; rm -f $(@D)/probe; touch $@

$(FUZZ_BUILD)/obj/%.o: %.c | $(FUZZ_STAMP)
	$(call msg,FUZZCC,$<)mkdir -p $(@D) && $(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/obj/%.o: %.S | $(FUZZ_STAMP)
	$(call msg,FUZZAS,$<)mkdir -p $(@D) && $(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/obj/sandbox/sandbox.o: $(FILTER_HEADER)

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/fuzz/fuzz_%.o $(FUZZ_LIB_OBJS) \
                      $(FUZZ_BUILD)/obj/tests/support/fake_vm.o \
                      $(FUZZ_BUILD)/obj/tests/support/fake_guest.o \
                      $(FUZZ_BUILD)/obj/tests/support/no_openat2.o
	$(call msg,FUZZLD,$@)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ $(ELF_LIBS) -o $@

# Seeds for the ELF target: every sample and test guest, and every malformed
# file of the test table (written by the fuzz-seeds tool).
$(FUZZ_BUILD)/elfgen-seeds: $(BUILD)/obj/fuzz/seeds.o $(BUILD)/obj/tests/support/elfgen.o
	$(call msg,LD,$@)mkdir -p $(@D) && $(CC) $(HOST_LDFLAGS) $^ -o $@

fuzz-seeds: $(FUZZ_BUILD)/elfgen-seeds all tests
	$(Q)mkdir -p fuzz/corpus/elf && $(FUZZ_BUILD)/elfgen-seeds fuzz/corpus/elf && \
	for f in $(BUILD)/guests/*.elf $(BUILD)/tests/guests/*.elf; do \
	    cp "$$f" fuzz/corpus/elf/guest-$$(basename "$$f"); done

# Run from the fuzz/ corpus into a scratch corpus, so `make fuzz` never
# rewrites committed files; fuzz/README.md says how to fold findings back.
fuzz: $(FUZZ_BINS)
	$(Q)set -e; for n in $(FUZZ_NAMES); do \
	    mkdir -p $(FUZZ_BUILD)/corpus-$$n $(FUZZ_BUILD)/crashes-$$n; \
	    echo "== fuzz_$$n for $(FUZZ_TIME) s"; \
	    $(FUZZ_BUILD)/fuzz_$$n -max_total_time=$(FUZZ_TIME) -jobs=$(FUZZ_JOBS) \
	        -workers=$(FUZZ_JOBS) -dict=fuzz/$$n.dict -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_BUILD)/crashes-$$n/ \
	        $(FUZZ_BUILD)/corpus-$$n fuzz/corpus/$$n < /dev/null; \
	done

fuzz-check: $(FUZZ_BINS)
	$(Q)set -e; for n in $(FUZZ_NAMES); do \
	    echo "== fuzz_$$n: replay fuzz/corpus/$$n fuzz/regressions/$$n"; \
	    $(FUZZ_BUILD)/fuzz_$$n -runs=0 fuzz/corpus/$$n fuzz/regressions/$$n \
	        < /dev/null 2>$(FUZZ_BUILD)/replay-$$n.log || { \
	        tail -40 $(FUZZ_BUILD)/replay-$$n.log; exit 1; }; \
	    echo "== fuzz_$$n: $(FUZZ_BRIEF) s of fresh fuzzing"; \
	    rm -rf $(FUZZ_BUILD)/brief-$$n && mkdir -p $(FUZZ_BUILD)/brief-$$n; \
	    $(FUZZ_BUILD)/fuzz_$$n -max_total_time=$(FUZZ_BRIEF) -dict=fuzz/$$n.dict \
	        -artifact_prefix=$(FUZZ_BUILD)/brief-$$n/ \
	        $(FUZZ_BUILD)/brief-$$n fuzz/corpus/$$n < /dev/null \
	        2>$(FUZZ_BUILD)/brief-$$n.log || { \
	        tail -40 $(FUZZ_BUILD)/brief-$$n.log; exit 1; }; \
	done; echo "== fuzz targets replayed and fuzzed cleanly"

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
