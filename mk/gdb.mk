# A real gdb against gdb/ (tests/gdb/check-gdb.sh): a host-only stub with
# a fixed target, served over gdb's pipe target.  Skipped, loudly, when gdb
# is not installed.
GDB_FIXED_STUB := $(BUILD)/tests/gdb-fixed-stub
GDB_OBJS       := $(filter $(BUILD)/obj/gdb/%,$(LIB_OBJS))

$(GDB_FIXED_STUB): $(BUILD)/obj/tests/gdb/fixed_stub.o $(GDB_OBJS)
	$(call msg,LD,$@)mkdir -p $(@D) && $(CC) $(HOST_LDFLAGS) $^ -o $@

.PHONY: check-gdb
check-gdb: $(GDB_FIXED_STUB)
	$(Q)sh tests/gdb/check-gdb.sh $(GDB_FIXED_STUB)

check: check-gdb

# The guests a real gdb debugs (tests/e2e/test_gdbstub.c, the session in
# docs/writing-guests.md): -O0 (after the usual -O2, so it wins), so that
# every local lives in memory and every line is a stop for next and step.
$(BUILD)/guest-obj/tests/guests/gdbdemo/%.o: GUEST_CFLAGS += -O0
$(BUILD)/tests/guests/gdbmusl.musl: LINUX_TEST_CFLAGS += -O0
