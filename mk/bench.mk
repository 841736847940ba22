# The benchmark suite (bench/, docs/performance.md).
#
#   make bench        build it, run every benchmark side by side and write
#                     docs/performance.md (takes several minutes)
#   make bench-quick  one small iteration of each benchmark (`make check`
#                     runs it so that the suite cannot rot; no timing is
#                     asserted)
# BENCH_REPS=N sets the repetitions per figure (default 15).  Without
# qemu-system-x86_64, make bench installs Debian's qemu-system-x86 when
# run as root, and says so first (bench/need-qemu.sh; BENCH_NO_QEMU=1
# skips the QEMU column instead).

BENCH_DIR   := $(BUILD)/bench
BENCH_REPS  ?= 15
BENCH_GUESTS := $(patsubst bench/guests/%/,$(BENCH_DIR)/%.elf,$(sort $(dir $(wildcard bench/guests/*/*.c))))
# The compute kernels: one object, built with the guest flags, linked into
# both the guest and the native program so both run the same machine code.
# No loop-to-memset rewriting: the guest's memset is not glibc's.
BENCH_KOBJ  := $(BENCH_DIR)/kernels.o
BENCH_BINS  := $(BENCH_DIR)/bench $(BENCH_DIR)/floor $(BENCH_DIR)/native-compute \
               $(BENCH_DIR)/pvh_hello.elf $(BENCH_DIR)/readfile $(BENCH_DIR)/churn \
               $(BENCH_GUESTS)

.PHONY: bench bench-build bench-quick
bench-build: all $(BENCH_BINS)

bench: bench-build
	$(Q)sh bench/need-qemu.sh
	$(BENCH_DIR)/bench --reps $(BENCH_REPS) --write docs/performance.md \
	    --notes bench/notes.md $(BUILD)

# bench exits 77 when there is no KVM: it has said so loudly on stderr.
bench-quick: bench-build
	$(Q)st=0; $(BENCH_DIR)/bench --quick $(BUILD) >/dev/null || st=$$?; \
	case $$st in \
	0)  echo "== bench: one quick iteration of every benchmark passed";; \
	77) echo "== bench: SKIPPED (no usable KVM device), only built";; \
	*)  exit $$st;; \
	esac

check: bench-quick check-need-qemu

# The QEMU install step says what it does (fake apt-get; nothing installed).
.PHONY: check-need-qemu
check-need-qemu:
	$(Q)sh tests/bench/check-need-qemu.sh

$(BENCH_DIR)/bench: bench/bench.c | $(DEPS_STAMP)
	$(call msg,CC,$@)mkdir -p $(@D) && $(CC) $(HOST_CFLAGS) $< $(HOST_LDFLAGS) -o $@

$(BENCH_DIR)/floor: bench/floor.c bench/floor_guest.S bench/floor.h include/kvmelf/abi.h | $(DEPS_STAMP)
	$(call msg,CC,$@)mkdir -p $(@D) && $(CC) $(HOST_CFLAGS) bench/floor.c \
	    bench/floor_guest.S $(HOST_LDFLAGS) -o $@

$(BENCH_KOBJ): bench/compute/kernels.c bench/compute/kernels.h
	$(call msg,GCC,$<)mkdir -p $(@D) && $(GUEST_CC) $(GUEST_CFLAGS) \
	    -fno-tree-loop-distribute-patterns -c $< -o $@

$(BENCH_DIR)/native-compute: bench/compute/native.c $(BENCH_KOBJ)
	$(call msg,LD,$@)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -no-pie \
	    $^ -o $@

$(BENCH_DIR)/%.elf: $$(call guest_objs,bench/guests/%) $(BENCH_KOBJ) $(RT_LIB) $(GUEST_LDS)
	$(call msg,GLD,$@)mkdir -p $(@D) && $(GUEST_CC) $(GUEST_LDFLAGS) \
	    -T $(GUEST_LDS) $(filter %.o,$(filter-out $(BENCH_KOBJ),$^)) \
	    $(if $(filter compute,$*),$(BENCH_KOBJ)) $(RT_LIB) -lgcc -o $@

# Static musl programs, run natively and as guests (sections 7 and 8).
$(BENCH_DIR)/%: bench/linux/%.c $(KVMELF_CC) | $(DEPS_STAMP)
	$(call msg,KVMCC,$<)mkdir -p $(@D) && $(KVMELF_CC) -O2 -Wall -Wextra -Werror -o $@ $<

# QEMU's hello: a 32-bit PVH kernel; binutils alone, no multilib gcc.
$(BENCH_DIR)/pvh_hello.elf: bench/pvh/pvh_hello.S
	$(call msg,AS,$@)mkdir -p $(@D) && $(GUEST_CC) -E -P $< -o $(BENCH_DIR)/pvh_hello.s && \
	    as --32 $(BENCH_DIR)/pvh_hello.s -o $(BENCH_DIR)/pvh_hello.o && \
	    ld -m elf_i386 -Ttext=0x100000 -o $@ $(BENCH_DIR)/pvh_hello.o
