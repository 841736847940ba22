#!/bin/sh
# make bench: the QEMU column needs qemu-system-x86_64.  When it is
# missing and we are root, Debian's qemu-system-x86 is installed, and the
# user is told so first: it is a large download nobody asked for by name.
# BENCH_NO_QEMU=1 skips the column instead.  Never fails: without QEMU the
# bench runs without that column, and says so.
pkg=qemu-system-x86
if command -v qemu-system-x86_64 >/dev/null 2>&1; then
    exit 0
fi
if [ -n "$BENCH_NO_QEMU" ]; then
    echo "bench: no qemu-system-x86_64 (BENCH_NO_QEMU is set): no QEMU column"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "bench: no qemu-system-x86_64 and not root: no QEMU column" \
         "(as root: apt-get install $pkg)"
    exit 0
fi
echo "bench: qemu-system-x86_64 is missing: installing Debian's $pkg" \
     "with apt-get for the QEMU column (BENCH_NO_QEMU=1 skips it)"
if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
       --no-install-recommends "$pkg" >/dev/null ||
   { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
       apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null; }; then
    echo "bench: installed $pkg"
else
    echo "bench: apt-get could not install $pkg: no QEMU column"
fi
exit 0
