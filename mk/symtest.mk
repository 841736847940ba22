# symtest built again by other DWARF producers, for the symbolizer's
# comparison with libdw (test_dwarf_producers in tests/unit/test_symbolize.c):
# gcc's DWARF 2, 3 and 4, its DWARF 5 with zlib-compressed sections and,
# when clang is installed, clang's DWARF 4 and 5 (no .debug_aranges, and in
# DWARF 5 DW_FORM_addrx/strx).  Only symtest.c is rebuilt; the runtime is
# the usual one.
SYMTEST_SRC      := tests/guests/symtest/symtest.c
SYMTEST_FLAGS    := $(filter-out -Werror -g -MMD -MP,$(GUEST_CFLAGS))
SYMTEST_VARIANTS := gcc-dwarf2 gcc-dwarf3 gcc-dwarf4 gcc-zlib
ifneq ($(shell command -v clang 2>/dev/null),)
SYMTEST_VARIANTS += clang-dwarf4 clang-dwarf5
endif
SYMTEST_ELFS     := $(patsubst %,$(BUILD)/tests/guests/symtest-%.elf,$(SYMTEST_VARIANTS))

sym_cc    = $(word 1,$(subst -, ,$(1)))
sym_debug = $(if $(filter %-zlib,$(1)),-gdwarf-5 -gz=zlib,-gdwarf-$(patsubst dwarf%,%,$(word 2,$(subst -, ,$(1)))))

SYMTEST_OBJ      = $(BUILD)/guest-obj/tests/guests/symtest/symtest-$(1).o

$(BUILD)/tests/guests/symtest-%.elf: $(SYMTEST_SRC) $(RT_LIB) $(GUEST_LDS)
	$(call msg,GLD,$@)mkdir -p $(@D) $(dir $(call SYMTEST_OBJ,$*)) && \
	$(call sym_cc,$*) $(SYMTEST_FLAGS) $(call sym_debug,$*) \
	    -Wno-unknown-attributes -c $< -o $(call SYMTEST_OBJ,$*) && \
	$(GUEST_CC) $(GUEST_LDFLAGS) $(if $(filter %-zlib,$*),-gz=zlib) \
	    -T $(GUEST_LDS) $(call SYMTEST_OBJ,$*) $(RT_LIB) -lgcc -o $@

tests: $(SYMTEST_ELFS)
