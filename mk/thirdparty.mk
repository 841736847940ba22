# Real programs nobody wrote for kvmelf, for tests/e2e/test_realprogs
# (issue 12's "done when"): Debian's busybox-static (/bin/busybox, a
# static glibc program) and a Lua 5.4 interpreter built with kvmelf-cc
# from Debian's source of lua5.4.  The test runs each program natively and
# under kvmelf and compares the two byte for byte.
#
#   make thirdparty     install busybox-static and fetch and build Lua
#
# Both are optional: without root (busybox-static) or without the network
# (Lua's source from deb.debian.org) the recipe says what is missing and
# how to get it, `make check` goes on, and the test skips those cases,
# naming the same command.  Nothing here changes the system's apt
# configuration: the source comes through apt-get with a sources list,
# lists and cache of its own under build/thirdparty/apt (apt checks the
# tarball against the signed Release file as for any download).
#
# One copy for every $(BUILD) (build/sanitize too): the programs do not
# depend on how kvmelf was built.

TP_DIR       := build/thirdparty
TP_APT       := $(TP_DIR)/apt
BUSYBOX      := /bin/busybox
BUSYBOX_DEB  := busybox-static
BUSYBOX_STAMP := $(TP_DIR)/.busybox-ok
LUA_VERSION  := 5.4.4
LUA_TARBALL  := $(TP_APT)/src/lua5.4_$(LUA_VERSION).orig.tar.gz
LUA_SRC      := $(TP_DIR)/lua-$(LUA_VERSION)
LUA_ELF      := $(TP_DIR)/lua
# What Lua's src/Makefile gives its "posix" target (-std=gnu99, the 5.3
# compatibility functions, POSIX's mkstemp for os.tmpname), static with
# kvmelf-cc.  lua.c is the interpreter; luac.c, the compiler, has a main
# of its own.
LUA_CFLAGS   := -std=gnu99 -O2 -Wall -Wextra -DLUA_COMPAT_5_3 -DLUA_USE_POSIX
TP_DEB_SRC   := deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
TP_APT_OPTS   = -o Dir::Etc::SourceList=$(abspath $(TP_APT))/src.list \
                -o Dir::Etc::SourceParts=/dev/null \
                -o Dir::State::Lists=$(abspath $(TP_APT))/lists \
                -o Dir::Cache=$(abspath $(TP_APT))/cache \
                -o APT::Sandbox::User=root
TP_LUA_HOWTO := make thirdparty (it needs deb.debian.org)

.PHONY: thirdparty
thirdparty: $(BUSYBOX_STAMP) $(LUA_ELF)

# busybox-static, as root when it is missing.  A dynamically linked
# /bin/busybox (Debian's "busybox") is left alone: the test says so.
# After the build's own packages: two apt-get installs at once (make -j)
# would fight over dpkg's lock.
$(BUSYBOX_STAMP): | $(DEPS_STAMP)
	$(Q)if [ ! -e $(BUSYBOX) ] && [ "$$(id -u)" = 0 ]; then \
	    echo "kvmelf: installing Debian packages for the tests: $(BUSYBOX_DEB)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq $(BUSYBOX_DEB) >/dev/null || true; \
	fi; \
	if [ -e $(BUSYBOX) ]; then mkdir -p $(@D) && touch $@; else \
	    echo "kvmelf: no $(BUSYBOX): test_realprogs skips busybox; as root run:" >&2; \
	    echo "    apt-get install -y $(BUSYBOX_DEB)" >&2; \
	fi

# Leaves no tarball when the download fails: the next make tries again.
$(LUA_TARBALL): | $(DEPS_STAMP)
	$(Q)mkdir -p $(TP_APT)/lists/partial $(TP_APT)/cache/archives/partial \
	    $(@D) && echo '$(TP_DEB_SRC)' > $(TP_APT)/src.list
	$(call msg,FETCH,lua5.4 $(LUA_VERSION) source from deb.debian.org)\
	log=$(abspath $(TP_APT))/fetch.log; \
	if apt-get -q $(TP_APT_OPTS) update >$$log 2>&1 && \
	    (cd $(@D) && apt-get -q $(TP_APT_OPTS) source --download-only \
	        lua5.4) >>$$log 2>&1 && [ -f $@ ]; then :; else \
	    echo "kvmelf: could not fetch Lua's source ($(notdir $@); see" \
	         "$(TP_APT)/fetch.log): test_realprogs skips Lua; to get it" \
	         "run: $(TP_LUA_HOWTO)" >&2; \
	fi

# Built only when the tarball is there (an order-only prerequisite, so a
# failed download does not fail the build).
$(LUA_ELF): $(KVMELF_CC) mk/thirdparty.mk | $(LUA_TARBALL) $(DEPS_STAMP)
	$(Q)if [ -f $(LUA_TARBALL) ]; then \
	    rm -rf $(LUA_SRC) && mkdir -p $(LUA_SRC) && \
	    tar -xzf $(LUA_TARBALL) -C $(LUA_SRC) --strip-components=1 && \
	    printf '  %-8s %s\n' KVMCC $@ && \
	    $(KVMELF_CC) $(LUA_CFLAGS) -o $@ \
	        $$(ls $(LUA_SRC)/src/*.c | grep -v '/luac\.c$$') -lm; \
	fi

tests: thirdparty

# Where the test finds them (check-valgrind runs it too).  A missing
# program makes its cases skip, with TP_LUA_HOWTO for Lua.
check check-valgrind: export KVMELF_BUSYBOX := $(BUSYBOX)
check check-valgrind: export KVMELF_LUA := $(LUA_ELF)
check check-valgrind: export KVMELF_LUA_HOWTO := $(TP_LUA_HOWTO)
