# Hostile input (issue 6): the generated-ELF dump tool, the whole-binary
# AFL++ run, valgrind and static analysis.  docs/security.md explains them.
#
#   make afl              instrumented build in build/afl/, seeds, short run
#                         (AFL_SECONDS=60; AFL_OUT=build/afl/out)
#   make check-valgrind   unit + e2e tests with kvmelf under valgrind memcheck
#   make lint             cppcheck and clang-tidy over the host sources

.PHONY: afl afl-build afl-seeds check-valgrind lint

# ---- Generated ELF files as files -----------------------------------------
DUMP_BAD_ELFS := $(BUILD)/tools/dump-bad-elfs

$(DUMP_BAD_ELFS): $(BUILD)/obj/tests/tools/dump_bad_elfs.o $(BUILD)/obj/tests/support/elfgen.o
	$(call msg,LD,$@)mkdir -p $(@D) && $(CC) $(HOST_LDFLAGS) $^ -o $@

tests: $(DUMP_BAD_ELFS)

# ---- AFL++ on the whole binary --------------------------------------------
AFL_CC      ?= afl-clang-fast
AFL_DIR     := build/afl
AFL_SEEDS   := $(AFL_DIR)/seeds
AFL_OUT     ?= $(AFL_DIR)/out
AFL_SECONDS ?= 60
# Guests that spin until --timeout (loop) only slow the fuzzer down.
AFL_SLOW_SEEDS := loop.elf

afl-build:
	$(Q)$(MAKE) --no-print-directory BUILD=$(AFL_DIR) CC=$(AFL_CC) WERROR=0 \
	    $(AFL_DIR)/kvmelf

afl-seeds: all tests
	$(Q)rm -rf $(AFL_SEEDS) && mkdir -p $(AFL_SEEDS)
	$(Q)$(DUMP_BAD_ELFS) $(AFL_SEEDS)
	$(Q)for f in $(BUILD)/guests/*.elf $(BUILD)/tests/guests/*.elf; do \
	    case " $(AFL_SLOW_SEEDS) " in *" $${f##*/} "*) continue;; esac; \
	    cp "$$f" $(AFL_SEEDS)/guest-$${f##*/}; done
	@echo "  SEEDS    $$(ls $(AFL_SEEDS) | wc -l) files in $(AFL_SEEDS)"

# One core, lowest priority; an existing AFL_OUT is resumed.  -t is above
# kvmelf's own --timeout so a guest that spins is a normal run (status
# 124), not a hang.
afl: afl-build afl-seeds
	AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 AFL_AUTORESUME=1 \
	AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
	nice -n 19 afl-fuzz -i $(AFL_SEEDS) -o $(AFL_OUT) -t 5000 -m none \
	    -V $(AFL_SECONDS) -- $(AFL_DIR)/kvmelf run --timeout 1 @@
	$(Q)f=$$(ls -d $(AFL_OUT)/*/crashes 2>/dev/null | head -1); \
	    n=$$(ls $$f 2>/dev/null | grep -vc README); \
	    echo "  AFL      crashes: $$n (in $$f)"; test "$$n" = 0

# ---- valgrind ---------------------------------------------------------------
# valgrind runs inside the process it checks, so kvmelf's seccomp filter
# would refuse valgrind's own system calls: kvmelf runs with --no-sandbox
# under it (a wrapper inserts the option after "run"), and
# KVMELF_UNDER_VALGRIND tells the tests that need the filter to skip.
# KVM's ioctls need no suppressions (valgrind knows KVM_RUN and friends).
VALGRIND       ?= valgrind
VALGRIND_FLAGS := -q --error-exitcode=99 --leak-check=full \
                  --errors-for-leak-kinds=definite --show-leak-kinds=definite
VG_WRAPPER     := $(BUILD)/valgrind/kvmelf
# The wrapper runs kvmelf --no-sandbox: memcheck's own JIT needs PROT_EXEC
# mappings the filter refuses.  valgrind 3.19 knows neither openat2 nor
# the mount API nor Landlock: kvmelf gets ENOSYS and takes the ways it has
# for older kernels (linux/tree.c walk_beneath, the mount namespace for
# /tmp), and the e2e harness drops valgrind's "--PID--" notes about those
# calls from the stderr it compares (tests/support/e2e.c).  Runs get
# --tmp 0 as well: the notes on the mount API would come first on every
# run, and a test that hands kvmelf a full stderr (test_hostile) would
# find valgrind, not kvmelf, blocked writing them.
# By its full path: tests run kvmelf with a PATH of their own (FILE looked
# up in PATH), where the wrapper must still find valgrind.
VALGRIND_PATH   = $(or $(shell command -v $(VALGRIND)),$(VALGRIND))
# memcheck sees heap blocks only where it can replace malloc, i.e. in a
# dynamically linked program: the same objects as build/kvmelf, linked
# against the shared libraries.
VG_KVMELF      := $(BUILD)/valgrind/kvmelf-shared

$(VG_KVMELF): $(MAIN_OBJ) $(LIB_OBJS)
	$(call msg,LD,$@)mkdir -p $(@D) && $(CC) $(HOST_LDFLAGS) $^ $(MONITOR_LIBS) -o $@

$(VG_WRAPPER): $(VG_KVMELF) mk/security.mk
	$(Q)mkdir -p $(@D) && { \
	    echo '#!/bin/sh'; \
	    echo '# kvmelf under valgrind memcheck (make check-valgrind).'; \
	    echo 'if [ "$$1" = run ]; then shift; set -- run --no-sandbox --tmp 0 "$$@"; fi'; \
	    echo 'exec $(VALGRIND_PATH) $(VALGRIND_FLAGS) $(abspath $(VG_KVMELF)) "$$@"'; \
	} > $@ && chmod +x $@

check-valgrind: all tests $(VG_WRAPPER)
	$(Q)set -e; for t in $(UNIT_TESTS); do \
	    echo "== valgrind $$t"; \
	    KVMELF_TEST_GUESTS=$(BUILD)/tests/guests KVMELF_UNDER_VALGRIND=1 \
	    $(VALGRIND) $(VALGRIND_FLAGS) $$t; \
	done; for t in $(E2E_TESTS); do \
	    echo "== $$t (kvmelf under valgrind)"; \
	    KVMELF=$(VG_WRAPPER) KVMELF_UNDER_VALGRIND=1 \
	    KVMELF_GUESTS=$(BUILD)/guests \
	    KVMELF_TEST_GUESTS=$(BUILD)/tests/guests $$t; \
	done; echo "== valgrind: no errors, no definite leaks ($(BUILD))"

# ---- Static analysis ----------------------------------------------------------
# Both must report nothing.  clang-tidy's checks and the reasons for the
# ones left out are in .clang-tidy; a finding silenced in the code carries
# its reason next to the NOLINT / cppcheck-suppress comment.
# cppcheck: variableScope is a style the code does not follow on purpose
# (buffers for messages sit at the top of the function that formats them);
# missingIncludeSystem: the system headers are not cppcheck's to parse.
LINT_SRCS      := $(LIB_SRCS) $(FILTER_GEN_SRC) $(wildcard src/*.c)
CPPCHECK_FLAGS := -q --std=c11 --enable=warning,style,performance,portability \
                  --inline-suppr --error-exitcode=1 -D_GNU_SOURCE -I. -Iinclude -I$(GEN_DIR) \
                  --suppress=variableScope --suppress=missingIncludeSystem
TIDY_FLAGS      = -std=gnu11 -D_GNU_SOURCE -I. -Iinclude -I$(GEN_DIR) $(PKG_CFLAGS)

lint: $(FILTER_HEADER) | $(DEPS_STAMP)
	$(call msg,CPPCHECK,$(words $(LINT_SRCS)) files)cppcheck $(CPPCHECK_FLAGS) $(LINT_SRCS)
	$(Q)set -e; for f in $(LINT_SRCS); do \
	    printf '  %-8s %s\n' TIDY $$f; \
	    clang-tidy -quiet $$f -- $(TIDY_FLAGS) 2>/dev/null; \
	done
	@echo "  LINT     cppcheck and clang-tidy: nothing to report"
