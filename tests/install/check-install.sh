#!/bin/sh
# `make install` and `make uninstall` into a scratch DESTDIR (run by
# `make check` from the top of the repository, mk/install.mk):
#   - exactly the expected files are installed, with their modes;
#   - the installed kvmelf runs (--version), and a freestanding guest
#     builds from the installed header, runtime and linker script alone
#     and passes `kvmelf info` (which needs no KVM);
#   - uninstall leaves no file and no kvmelf directory behind.
# Usage: check-install.sh MAKE KVMELF_CC_SOURCE "MAN PAGES"
set -eu

make_cmd=$1 cc_source=$2 man_pages=$3
prefix=/opt/kvmelf-check
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmelf-install-XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root         # DESTDIR: holds nothing but what make installs
dest=$root$prefix
failures=0

fail() {
    echo "FAILED: install check: $*" >&2
    failures=$((failures + 1))
}

# MODE PATH (under the prefix)
expect_file() {
    if [ ! -f "$dest/$2" ]; then
        fail "$prefix/$2 was not installed"
    elif [ "$(stat -c %a "$dest/$2")" != "$1" ]; then
        fail "$prefix/$2 has mode $(stat -c %a "$dest/$2"), expected $1"
    fi
    echo "$prefix/$2" >>"$work/expected"
}

mkdir "$root"
$make_cmd --no-print-directory install DESTDIR="$root" PREFIX="$prefix" \
    >"$work/log" 2>&1 || { cat "$work/log" >&2; fail "make install failed"; }
: >"$work/expected"
expect_file 755 bin/kvmelf
if [ -f "$cc_source" ]; then
    expect_file 755 bin/kvmelf-cc
else
    echo "SKIPPED: install check of kvmelf-cc: $cc_source is not in this" \
         "tree (it comes from the system-call branch)" >&2
fi
expect_file 644 include/kvmelf/abi.h
expect_file 644 include/kvmelf/kvmelf.h
expect_file 644 lib/kvmelf/libkvmelfrt.a
expect_file 644 lib/kvmelf/kvmelf.ld
for page in $man_pages; do
    expect_file 644 "share/man/man1/$page"
done
case " $man_pages " in *" kvmelf.1 "*) ;; *) fail "no kvmelf.1 to install" ;; esac

# Nothing else.
(cd "$root" && find . -type f | sed 's|^\.||' | sort) >"$work/found"
sort "$work/expected" | diff -u - "$work/found" >&2 ||
    fail "the installed files differ from the expected list (above)"

"$dest/bin/kvmelf" --version | grep -q '^kvmelf [0-9]' ||
    fail "installed kvmelf --version does not work"

# A guest from the installed files alone.
cat >"$work/hi.c" <<'GUEST'
#include <kvmelf/kvmelf.h>
int main(void) { printf("hi\n"); return 0; }
GUEST
if gcc -std=gnu11 -O2 -ffreestanding -fno-pic -fno-pie -mno-red-zone \
       -fno-stack-protector -nostdinc -isystem "$(gcc -print-file-name=include)" \
       -I"$dest/include" -nostdlib -static -no-pie -Wl,--build-id=none \
       -Wl,-z,noexecstack -Wl,-z,max-page-size=4096 \
       -T "$dest/lib/kvmelf/kvmelf.ld" "$work/hi.c" \
       "$dest/lib/kvmelf/libkvmelfrt.a" -lgcc -o "$work/hi.elf" 2>"$work/cc"
then
    KVMELF_KVM_DEVICE=/nonexistent "$dest/bin/kvmelf" info "$work/hi.elf" \
        >"$work/info" 2>&1 && grep -q 'entry point 0x[0-9a-f]* _start' \
        "$work/info" || { cat "$work/info" >&2;
                          fail "kvmelf info on a guest built from the install"; }
    rm -f "$work/hi.elf" "$work/info"
else
    cat "$work/cc" >&2
    fail "a guest does not build from the installed header, runtime and script"
fi
rm -f "$work/hi.c" "$work/cc"

$make_cmd --no-print-directory uninstall DESTDIR="$root" PREFIX="$prefix" \
    >"$work/log" 2>&1 || { cat "$work/log" >&2; fail "make uninstall failed"; }
left=$(cd "$root" && find . -type f)
[ -z "$left" ] || fail "uninstall left files behind: $left"
for d in include/kvmelf lib/kvmelf; do
    [ ! -e "$dest/$d" ] || fail "uninstall left $prefix/$d behind"
done

if [ "$failures" -ne 0 ]; then
    echo "FAILED: install check: $failures problem(s)" >&2
    exit 1
fi
echo "install check passed: make install and make uninstall ($prefix)"
