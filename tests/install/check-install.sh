#!/bin/sh
# `make install` and `make uninstall` into a scratch DESTDIR (run by
# `make check` from the top of the repository, mk/install.mk):
#   - exactly the expected files are installed, with their modes;
#   - the installed kvmelf runs (--version);
#   - the installed kvmelf-cc, run from another directory, builds a
#     freestanding guest from the installed header, runtime and linker
#     script (checked with `kvmelf info`, which needs no KVM) and a C
#     program using printf with floats, malloc, qsort, stdin and argv that
#     prints under kvmelf exactly what its native musl build prints;
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
expect_file 755 bin/kvmelf-cc
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

# Guests built by the installed kvmelf-cc, from a directory of their own.
mkdir "$work/src"
cat >"$work/src/hi.c" <<'GUEST'
#include <kvmelf/kvmelf.h>
int main(void) { printf("hi\n"); return 0; }
GUEST
if (cd "$work/src" && "$dest/bin/kvmelf-cc" --freestanding -O2 -o hi.elf hi.c) \
       2>"$work/cc"; then
    KVMELF_KVM_DEVICE=/nonexistent "$dest/bin/kvmelf" info "$work/src/hi.elf" \
        >"$work/info" 2>&1 && grep -q 'entry point 0x[0-9a-f]* _start' \
        "$work/info" || { cat "$work/info" >&2;
                          fail "kvmelf info on a guest built from the install"; }
else
    cat "$work/cc" >&2
    fail "kvmelf-cc --freestanding does not build from the installed files"
fi

cat >"$work/src/stats.c" <<'PROGRAM'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
int main(int argc, char **argv)
{
    size_t n = 0, cap = 4;
    double *v = malloc(cap * sizeof *v), x;
    while (v && scanf("%lf", &x) == 1) {
        if (n == cap && !(v = realloc(v, (cap *= 2) * sizeof *v)))
            return 1;
        v[n++] = x;
    }
    qsort(v, n, sizeof *v, by_value);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] = %s\n", i, strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i]);
    for (size_t i = 0; i < n; i++)
        printf("%zu: %.6g\n", i, v[i]);
    printf("median %.3f\n", n ? v[n / 2] : 0.0);
    free(v);
    return 0;
}
PROGRAM
printf '3.5 -1e3 2.25\n42 0.125\n' >"$work/src/input"
if (cd "$work/src" && "$dest/bin/kvmelf-cc" -O2 -o stats stats.c &&
    mkdir native && musl-gcc -static -O2 -o native/stats stats.c) 2>"$work/cc"; then
    "$work/src/native/stats" one two <"$work/src/input" >"$work/native"
    if [ -e "${KVMELF_KVM_DEVICE:-/dev/kvm}" ]; then
        "$dest/bin/kvmelf" run "$work/src/stats" one two <"$work/src/input" \
            >"$work/guest" 2>&1 ||
            fail "the kvmelf-cc program failed under the installed kvmelf"
        diff -u "$work/native" "$work/guest" >&2 ||
            fail "the kvmelf-cc program's output differs from its native build"
    else
        echo "SKIPPED: install check: no ${KVMELF_KVM_DEVICE:-/dev/kvm}," \
             "the kvmelf-cc program was built but not run" >&2
    fi
else
    cat "$work/cc" >&2
    fail "kvmelf-cc does not build a C program from the installed files"
fi
rm -rf "$work/src" "$work/cc" "$work/info" "$work/native" "$work/guest"

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
