# The Linux personality's tests: static musl programs under tests/linux/,
# built with tools/kvmelf-cc (which is tested that way too), a static glibc
# program when Debian's libc.a is there, and the check that kvmelf-cc's
# freestanding flags still match the Makefile's.

LINUX_TEST_CFLAGS := -O2 -g -Wall -Wextra -Werror
LINUX_PROGS  := $(patsubst tests/linux/%.c,$(BUILD)/tests/guests/%.musl,$(wildcard tests/linux/*.c))
GLIBC_A      := $(firstword $(wildcard /usr/lib/x86_64-linux-gnu/libc.a /usr/lib64/libc.a /usr/lib/libc.a))
GLIBC_PROGS  := $(if $(GLIBC_A),$(patsubst tests/glibc/%.c,$(BUILD)/tests/guests/%.glibc,$(wildcard tests/glibc/*.c)))

$(BUILD)/tests/guests/%.musl: tests/linux/%.c $(KVMELF_CC) | $(DEPS_STAMP)
	$(call msg,KVMCC,$<)mkdir -p $(@D) && $(KVMELF_CC) $(LINUX_TEST_CFLAGS) -o $@ $< -lm

$(BUILD)/tests/guests/%.glibc: tests/glibc/%.c
	$(call msg,GLIBC,$<)mkdir -p $(@D) && $(GUEST_CC) -static -no-pie $(LINUX_TEST_CFLAGS) -o $@ $<

# Their shared headers (errname.h).
$(LINUX_PROGS): $(wildcard tests/linux/*.h)

tests: $(LINUX_PROGS) $(GLIBC_PROGS)
check: check-kvmelf-cc-flags

# kvmelf-cc --freestanding keeps its own copy of the guest code-generation
# and link flags (it must work installed, without this Makefile): they
# must equal GUEST_CFLAGS/GUEST_LDFLAGS minus warnings, -O, -g, -M* and -I.
KVMELF_CC_SHARED_FLAGS := $(sort $(filter-out -W% -O% -g -M% -I%,$(GUEST_CFLAGS)) $(GUEST_LDFLAGS))
.PHONY: check-kvmelf-cc-flags
check-kvmelf-cc-flags:
	$(Q)script="$$($(KVMELF_CC) --print-freestanding-flags | tr ' ' '\n' | LC_ALL=C sort -u | xargs)"; \
	if [ "$$script" != "$(KVMELF_CC_SHARED_FLAGS)" ]; then \
	    echo "kvmelf-cc's freestanding flags differ from the Makefile's:" >&2; \
	    echo "  kvmelf-cc: $$script" >&2; \
	    echo "  Makefile:  $(KVMELF_CC_SHARED_FLAGS)" >&2; exit 1; \
	fi; echo "== kvmelf-cc --freestanding flags match GUEST_CFLAGS/GUEST_LDFLAGS"
