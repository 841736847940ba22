# make install [PREFIX=/usr/local] [DESTDIR=...]: the monitor, the guest
# compiler wrapper (tools/kvmelf-cc, when present), the freestanding guest
# runtime with its headers and linker script, and the man pages.
# make uninstall removes exactly those files, and the kvmelf directories
# under include/ and lib/ when they are left empty.

PREFIX  ?= /usr/local
DESTDIR ?=
INSTALL ?= install
BINDIR   = $(DESTDIR)$(PREFIX)/bin
INCDIR   = $(DESTDIR)$(PREFIX)/include/kvmelf
LIBDIR   = $(DESTDIR)$(PREFIX)/lib/kvmelf
MAN1DIR  = $(DESTDIR)$(PREFIX)/share/man/man1
MAN_PAGES := $(wildcard docs/*.1)

.PHONY: install uninstall install-check

install: $(KVMELF) $(RT_LIB) $(GUEST_LDS)
	$(Q)$(INSTALL) -d $(BINDIR) $(INCDIR) $(LIBDIR) $(MAN1DIR)
	$(Q)$(INSTALL) -m 755 $(KVMELF) $(BINDIR)/kvmelf
	$(Q)$(INSTALL) -m 755 $(KVMELF_CC) $(BINDIR)/kvmelf-cc
	$(Q)$(INSTALL) -m 644 include/kvmelf/abi.h $(INCDIR)/abi.h
	$(Q)$(INSTALL) -m 644 guests/runtime/kvmelf.h $(INCDIR)/kvmelf.h
	$(Q)$(INSTALL) -m 644 $(RT_LIB) $(LIBDIR)/libkvmelfrt.a
	$(Q)$(INSTALL) -m 644 $(GUEST_LDS) $(LIBDIR)/kvmelf.ld
	$(Q)$(INSTALL) -m 644 $(MAN_PAGES) $(MAN1DIR)/
	@echo "kvmelf: installed into $(DESTDIR)$(PREFIX)"

uninstall:
	$(Q)rm -f $(BINDIR)/kvmelf $(BINDIR)/kvmelf-cc \
	    $(INCDIR)/abi.h $(INCDIR)/kvmelf.h \
	    $(LIBDIR)/libkvmelfrt.a $(LIBDIR)/kvmelf.ld \
	    $(patsubst docs/%,$(MAN1DIR)/%,$(MAN_PAGES))
	$(Q)for d in $(INCDIR) $(LIBDIR); do \
	    if [ -d $$d ]; then rmdir $$d 2>/dev/null || \
	        echo "kvmelf: $$d is not empty: left in place" >&2; fi; \
	done

# Installs into a scratch DESTDIR, checks every file and mode, builds and
# inspects a guest from the installed files only, uninstalls, and checks
# nothing is left.  $(MAKE) on the line keeps the jobserver for the script.
install-check: $(KVMELF) $(RT_LIB) $(GUEST_LDS)
	$(Q)echo "== tests/install/check-install.sh"; \
	sh tests/install/check-install.sh "$(MAKE)" "$(KVMELF_CC)" \
	    "$(notdir $(MAN_PAGES))"

check: install-check
