# guests/examples/: ordinary C programs for kvmelf's Linux (musl)
# personality.  `make check` builds each twice - natively with musl-gcc
# into $(BUILD)/examples-native/ and as a guest with tools/kvmelf-cc into
# $(BUILD)/examples/NAME.elf - and tests/e2e/test_examples compares both
# runs with guests/examples/NAME.out (stdin from NAME.in when there is
# one), so the guest behaves like the native program and the expected
# outputs stay true.  musl-gcc comes with the Makefile's Debian deps.

EXAMPLES        := $(basename $(notdir $(wildcard guests/examples/*.c)))
EXAMPLES_NATIVE := $(patsubst %,$(BUILD)/examples-native/%,$(EXAMPLES))
EXAMPLES_GUEST  := $(patsubst %,$(BUILD)/examples/%.elf,$(EXAMPLES))
EXAMPLE_CFLAGS  := -O2 -Wall -Wextra -Werror

.PHONY: examples
examples: $(EXAMPLES_NATIVE) $(EXAMPLES_GUEST)

$(BUILD)/examples-native/%: guests/examples/%.c | $(DEPS_STAMP)
	$(call msg,MUSL,$<)mkdir -p $(@D) && \
	    musl-gcc -static $(EXAMPLE_CFLAGS) $< -lm -o $@

$(BUILD)/examples/%.elf: guests/examples/%.c $(KVMELF_CC) | $(DEPS_STAMP)
	$(call msg,KVMCC,$<)mkdir -p $(@D) && \
	    $(KVMELF_CC) $(EXAMPLE_CFLAGS) $< -lm -o $@

check: examples
check: export KVMELF_NATIVE_EXAMPLES := $(BUILD)/examples-native
check: export KVMELF_EXAMPLES := $(BUILD)/examples
