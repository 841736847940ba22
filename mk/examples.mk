# guests/examples/: ordinary C programs for kvmelf's Linux (musl)
# personality.  `make check` builds them natively with musl-gcc into
# $(BUILD)/examples-native/ and tests/e2e/test_examples compares each run
# with its guests/examples/NAME.out (stdin from NAME.in when there is one),
# so the expected outputs stay true.  The same test runs the kvmelf builds
# ($KVMELF_EXAMPLES/NAME.elf) when KVMELF_EXAMPLES names their directory.

EXAMPLES        := $(basename $(notdir $(wildcard guests/examples/*.c)))
EXAMPLES_NATIVE := $(patsubst %,$(BUILD)/examples-native/%,$(EXAMPLES))
MUSL_GCC        ?= musl-gcc
MUSL_STAMP      := $(BUILD)/.musl-ok
EXAMPLE_CFLAGS  := -static -O2 -Wall -Wextra -Werror

.PHONY: examples-native
examples-native: $(EXAMPLES_NATIVE)

# musl-gcc comes from Debian's musl-tools, installed like the other
# dependencies when missing and root.
$(MUSL_STAMP):
	$(Q)if command -v $(MUSL_GCC) >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	    echo "kvmelf: installing Debian packages: musl-tools musl-dev"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq musl-tools musl-dev >/dev/null; \
	else \
	    echo "kvmelf: $(MUSL_GCC) is missing; as root run:" >&2; \
	    echo "    apt-get update && apt-get install -y musl-tools musl-dev" >&2; \
	    exit 1; \
	fi
	$(Q)mkdir -p $(@D) && touch $@

$(BUILD)/examples-native/%: guests/examples/%.c | $(MUSL_STAMP)
	$(call msg,MUSL,$<)mkdir -p $(@D) && \
	    $(MUSL_GCC) $(EXAMPLE_CFLAGS) $< -lm -o $@

# check's test loop runs test_examples with the native builds.
check: $(EXAMPLES_NATIVE)
check: export KVMELF_NATIVE_EXAMPLES := $(BUILD)/examples-native
