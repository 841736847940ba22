# kvmelf: one non-recursive Makefile for the monitor, the guests and the tests.
#
#   make            build build/kvmelf and the sample guests
#   make run        build and run the hello guest
#   make check      build and run every test (unit + integration under KVM)
#   make sanitize   the same test suite with ASan+UBSan (build/sanitize/)
#   make clean
# Options: V=1 (show commands), WERROR=0 (warnings are not errors),
#          SANITIZE=1 (what `make sanitize` sets), CC=clang,
#          STATIC=0 (link build/kvmelf against shared libraries).

BUILD    ?= build
SANITIZE ?= 0
WERROR   ?= 1
V        ?= 0
STATIC   ?= 1

ifeq ($(SANITIZE),1)
BUILD    := build/sanitize
STATIC   := 0
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer
endif

ifeq ($(V),0)
Q   := @
msg  = @printf '  %-8s %s\n' '$(1)' '$(2)';
else
Q   :=
msg  =
endif

# ---- Debian dependencies ---------------------------------------------------
# Checked through pkg-config (libraries) and the PATH (commands); installed
# with apt-get when missing and root.  musl builds Linux guests (kvmelf-cc);
# libseccomp confines the run loop.  libdw is for the tests only: they
# check kvmelf's own DWARF reader (symbolize/dwarf.c) against it.
DEB_PACKAGES := libelf-dev libdw-dev libcmocka-dev libseccomp-dev pkg-config \
                libbz2-dev musl-tools musl-dev
PKG_MODULES  := libelf libdw cmocka libseccomp
DEP_COMMANDS := musl-gcc
# libbz2.a: the archive no -dev package above pulls in (libdw's, for a
# static link of the tests' oracle).
DEP_ARCHIVES := libbz2.a
DEPS_STAMP   := $(BUILD)/.deps-ok

# Expanded lazily (=), i.e. after the dependency step has run.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKG_MODULES))
ELF_LIBS   = $(shell pkg-config --libs libdw libelf)
# What the monitor itself links: libelf (and its zlib) only.
MONITOR_LIBS = $(shell pkg-config --libs libelf)
# libseccomp runs at build time only: it compiles the sandbox's allowlist
# into the BPF program kvmelf loads (sandbox/filter_gen.c).
SECCOMP_LIBS = $(shell pkg-config --libs libseccomp)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka)
# build/kvmelf is static-pie (ASLR kept): loading and relocating libdw,
# libelf, libseccomp and their compression libraries took about 1.1 ms of
# CPU of a 3.7 ms hello (docs/performance.md), when kvmelf still used libdw.
# Tests, fuzzers and the sanitizer build (ASan needs a dynamic libc) link
# the shared libraries.
ifeq ($(STATIC),1)
KVMELF_LINK = -static-pie $(shell pkg-config --static --libs libelf)
else
KVMELF_LINK = $(MONITOR_LIBS)
endif

# ---- Host (monitor) flags ---------------------------------------------------
WARN := -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes \
        -Wmissing-prototypes -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif
HOST_CFLAGS = -std=gnu11 -O2 -g -fPIE $(WARN) -D_GNU_SOURCE -MMD -MP \
              -Iinclude -I. -I$(GEN_DIR) $(PKG_CFLAGS) $(SAN_FLAGS) $(CFLAGS)
HOST_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)

# ---- Guest flags ------------------------------------------------------------
# Freestanding, static, position-dependent, no red zone (a --ring0 guest's
# interrupt frames land on its own stack), frame pointers (crash reports
# walk them for a backtrace).
GUEST_CC     ?= gcc
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -MMD -MP \
                -ffreestanding -fno-pic -fno-pie -mno-red-zone \
                -fno-stack-protector -fno-asynchronous-unwind-tables \
                -fno-omit-frame-pointer \
                -Iinclude -Iguests/runtime
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none \
                 -Wl,-z,noexecstack -Wl,-z,max-page-size=4096
GUEST_LDS    := $(BUILD)/linker/kvmelf.ld

# ---- Sources ----------------------------------------------------------------
# The filter generator is a build tool, not part of the monitor.
# The monitor's modules, in the order data flows through them; a folder
# includes headers only of folders before it (docs/architecture.md).
MODULES   := common console loader symbolize paging boot linux gdb vcpu sandbox
FILTER_GEN_SRC := sandbox/filter_gen.c
LIB_SRCS  := $(filter-out $(FILTER_GEN_SRC),\
             $(foreach m,$(MODULES),$(wildcard $(m)/*.c)))
LIB_ASM   := $(foreach m,$(MODULES),$(wildcard $(m)/*.S))
LIB_OBJS  := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(LIB_SRCS) $(LIB_ASM)))
MAIN_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/*.c))
KVMELF    := $(BUILD)/kvmelf
KVMELF_CC := tools/kvmelf-cc

RT_SRCS   := $(wildcard guests/runtime/*.c guests/runtime/*.S)
RT_OBJS   := $(patsubst %,$(BUILD)/guest-obj/%.o,$(basename $(RT_SRCS)))
RT_LIB    := $(BUILD)/guests/libkvmelfrt.a
# The runtime's only code that may use SSE or x87 registers: the variadic
# entry points (their prologue saves the XMM argument registers when AL
# says a double was passed) and the floating-point conversions.  The rest
# is built with -mgeneral-regs-only, so that a --ring0 guest printing
# integers and strings runs no SSE instruction: one stops the VM where
# KVM emulates ring 0 (kvm_pvm).
RT_FP_SRCS := guests/runtime/printf.c guests/runtime/format_fp.c
RT_GPR_OBJS := $(patsubst %,$(BUILD)/guest-obj/%.o,\
               $(basename $(filter-out $(RT_FP_SRCS) %.S,$(RT_SRCS))))
$(RT_GPR_OBJS): GUEST_CFLAGS += -mgeneral-regs-only

# Every folder under guests/ except runtime/ and examples/ (Linux programs,
# mk/examples.mk) is one sample guest.
SAMPLES   := $(filter-out runtime examples,$(notdir $(patsubst %/,%,$(dir $(wildcard guests/*/*.c)))))
SAMPLE_ELFS := $(patsubst %,$(BUILD)/guests/%.elf,$(SAMPLES))

# Test-only guests: tests/guests/NAME/ built with the runtime like samples,
# unless the folder has its own NAME.ld (then built with nothing of ours).
TGUESTS   := $(notdir $(patsubst %/,%,$(dir $(wildcard tests/guests/*/*.c tests/guests/*/*.S))))
TGUEST_ELFS := $(patsubst %,$(BUILD)/tests/guests/%.elf,$(sort $(TGUESTS)))

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
E2E_TESTS  := $(patsubst tests/e2e/%.c,$(BUILD)/tests/%,$(wildcard tests/e2e/test_*.c))
TEST_SUPPORT := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/support/*.c))

.PHONY: all run check sanitize clean deps guests tests
all: $(KVMELF) guests

guests: $(SAMPLE_ELFS)
tests: $(UNIT_TESTS) $(E2E_TESTS) $(TGUEST_ELFS)

run: all
	$(KVMELF) run $(BUILD)/guests/hello.elf

# Integration tests find the monitor and guests through the environment.
check: all tests check-layers
	$(Q)set -e; for t in $(UNIT_TESTS) $(E2E_TESTS); do \
	    echo "== $$t"; \
	    KVMELF=$(KVMELF) KVMELF_GUESTS=$(BUILD)/guests \
	    KVMELF_TEST_GUESTS=$(BUILD)/tests/guests $$t; \
	done; echo "== all test programs passed ($(BUILD))"

sanitize:
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 check

# No folder includes a header of a folder after it in MODULES.
.PHONY: check-layers
check-layers:
	$(Q)sh tools/check-layers.sh "$(MODULES) src"

clean:
	rm -rf build

# gcc prints the bare name back when it finds no such file.
have_archives = (for a in $(DEP_ARCHIVES); do \
	    [ -f "$$($(CC) -print-file-name=$$a)" ] || exit 1; done)

# Checked again when this file (and so the package list) changes.
deps: $(DEPS_STAMP)
$(DEPS_STAMP): Makefile
	$(Q)if pkg-config --exists $(PKG_MODULES) 2>/dev/null && \
	    command -v $(DEP_COMMANDS) >/dev/null && \
	    $(call have_archives); then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	    echo "kvmelf: installing Debian packages: $(DEB_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq $(DEB_PACKAGES) >/dev/null; \
	else \
	    echo "kvmelf: missing build dependencies; as root run:" >&2; \
	    echo "    apt-get update && apt-get install -y $(DEB_PACKAGES)" >&2; \
	    exit 1; \
	fi
	$(Q)pkg-config --exists $(PKG_MODULES) || { \
	    echo "kvmelf: pkg-config still cannot find $(PKG_MODULES)" >&2; exit 1; }
	$(Q)command -v $(DEP_COMMANDS) >/dev/null || { \
	    echo "kvmelf: $(DEP_COMMANDS) still missing" >&2; exit 1; }
	$(Q)$(call have_archives) || { \
	    echo "kvmelf: the linker still cannot find $(DEP_ARCHIVES)" >&2; exit 1; }
	$(Q)mkdir -p $(@D) && touch $@

# ---- Host objects -------------------------------------------------------------
$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	$(call msg,CC,$<)mkdir -p $(@D) && $(CC) $(HOST_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.S | $(DEPS_STAMP)
	$(call msg,AS,$<)mkdir -p $(@D) && $(CC) $(HOST_CFLAGS) -c $< -o $@

# The sandbox's seccomp filter, compiled from its allowlist at build time.
GEN_DIR       := $(BUILD)/gen
FILTER_HEADER := $(GEN_DIR)/sandbox_filter.h
FILTER_GEN    := $(BUILD)/tools/sandbox-filter-gen

$(FILTER_GEN): $(BUILD)/obj/sandbox/filter_gen.o
	$(call msg,LD,$@)mkdir -p $(@D) && $(CC) $(HOST_LDFLAGS) $^ $(SECCOMP_LIBS) -o $@

$(FILTER_HEADER): $(FILTER_GEN)
	$(call msg,GEN,$@)mkdir -p $(@D) && $(FILTER_GEN) $@

$(BUILD)/obj/sandbox/sandbox.o: $(FILTER_HEADER)

$(KVMELF): $(MAIN_OBJ) $(LIB_OBJS)
	$(call msg,LD,$@)$(CC) $(HOST_LDFLAGS) $^ $(KVMELF_LINK) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB_OBJS) $(TEST_SUPPORT)
	$(call msg,LD,$@)mkdir -p $(@D) && $(CC) $(HOST_LDFLAGS) $^ $(ELF_LIBS) $(CMOCKA_LIBS) -o $@

# The runtime's printf engine, compiled for the host: test_printf compares
# it with glibc.
$(BUILD)/tests/test_printf: $(BUILD)/obj/guests/runtime/format.o \
                            $(BUILD)/obj/guests/runtime/format_fp.o

$(BUILD)/tests/%: $(BUILD)/obj/tests/e2e/%.o $(LIB_OBJS) $(TEST_SUPPORT)
	$(call msg,LD,$@)mkdir -p $(@D) && $(CC) $(HOST_LDFLAGS) $^ $(ELF_LIBS) $(CMOCKA_LIBS) -o $@

# ---- Guests -------------------------------------------------------------------
$(GUEST_LDS): linker/kvmelf.ld.S include/kvmelf/abi.h
	$(call msg,CPP,$@)mkdir -p $(@D) && $(GUEST_CC) -E -P -x assembler-with-cpp \
	    -D__ASSEMBLER__ -Iinclude $< -o $@

$(BUILD)/guest-obj/%.o: %.c
	$(call msg,GCC,$<)mkdir -p $(@D) && $(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guest-obj/%.o: %.S
	$(call msg,GAS,$<)mkdir -p $(@D) && $(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(RT_LIB): $(RT_OBJS)
	$(call msg,AR,$@)mkdir -p $(@D) && rm -f $@ && ar rcs $@ $^

guest_objs = $(patsubst %,$(BUILD)/guest-obj/%.o,$(basename $(wildcard $(1)/*.c $(1)/*.S)))

.SECONDARY:
.SECONDEXPANSION:
# A recipe that fails leaves no half-written target behind.
.DELETE_ON_ERROR:
$(BUILD)/guests/%.elf: $$(call guest_objs,guests/%) $(RT_LIB) $(GUEST_LDS)
	$(call msg,GLD,$@)$(GUEST_CC) $(GUEST_LDFLAGS) -T $(GUEST_LDS) \
	    $(filter %.o,$^) $(RT_LIB) -lgcc -o $@

# A test guest with its own linker script uses only its own files; some
# are malformed on purpose (tests/guests/wx asks for an RWX segment).
$(BUILD)/tests/guests/%.elf: $$(call guest_objs,tests/guests/%) $(RT_LIB) $(GUEST_LDS)
	$(call msg,GLD,$@)mkdir -p $(@D) && \
	if [ -f tests/guests/$*/$*.ld ]; then \
	    $(GUEST_CC) $(GUEST_LDFLAGS) -Wl,--no-warn-rwx-segments \
	        -T tests/guests/$*/$*.ld \
	        $(filter %.o,$^) -o $@; \
	else \
	    $(GUEST_CC) $(GUEST_LDFLAGS) -T $(GUEST_LDS) \
	        $(filter %.o,$^) $(RT_LIB) -lgcc -o $@; \
	fi

# tests/guests/printf also built natively, with the host's libc: the e2e
# test compares the guest's output with this program's.
PRINTF_NATIVE := $(BUILD)/tests/guests/printf.native
$(PRINTF_NATIVE): tests/guests/printf/printf.c tests/guests/printf/table.h
	$(call msg,CC,$@)mkdir -p $(@D) && $(CC) -std=gnu11 -O2 -Wall -Wextra \
	    -Werror -DPRINTF_NATIVE $< -o $@

tests: $(PRINTF_NATIVE)

# Feature fragments (fuzz, bench, install, lint...): each adds its own
# targets and may add prerequisites to check.
include $(sort $(wildcard mk/*.mk))

-include $(shell find $(BUILD)/obj $(BUILD)/guest-obj -name '*.d' 2>/dev/null)
