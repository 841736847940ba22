#!/bin/sh
# A real gdb against tests/gdb/fixed_stub.c over gdb's pipe target: gdb
# must accept gdb/'s target description and read the fixed registers and
# memory where the stub put them (the XML, the 'g' layout and the p/P
# numbers are what gdb itself uses, not only what test_gdb.c believes).
#   tests/gdb/check-gdb.sh build/tests/gdb-fixed-stub
set -eu
stub=$1
if ! command -v gdb >/dev/null 2>&1; then
    echo "== SKIPPED: gdb is not installed; the real-gdb check of gdb/ did not run" >&2
    exit 0
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0

# run_gdb STUB-ARGS GDB-COMMANDS...: gdb's output in $out.
run_gdb() {
    args=$1; shift
    set -- -batch -nx -ex "set remotetimeout 5" -ex "target remote | $stub $args" "$@"
    timeout 60 gdb "$@" >"$out" 2>&1 || { echo "check-gdb: gdb failed:"; cat "$out"; exit 1; }
}

# expect TEXT: a line of gdb's output matches (grep -E).
expect() {
    if ! grep -Eq -- "$1" "$out"; then
        echo "check-gdb: gdb's output lacks /$1/" >&2
        fail=1
    fi
}

run_gdb "" \
    -ex "info registers rip" -ex "x/2gx 0x401000" \
    -ex "info registers rbp rsp eflags cs fs_base gs_base mxcsr fctrl" \
    -ex 'p $st0' -ex 'p/x $xmm1.v2_int64' -ex 'p/x $r15' \
    -ex 'set $rax = 0x1234' -ex 'p/x $rax' \
    -ex 'set {long}0x401008 = 0x55' -ex 'x/2gx 0x401000' \
    -ex 'x/gx 0x500000' -ex 'stepi' -ex 'p $_siginfo' -ex 'kill'
expect '^rip +0x401000 '
expect '^0x401000:.0x0706050403020100.0x0f0e0d0c0b0a0908$'
expect '^rbp +0x7ffe0000 '
expect '^rsp +0x7ffd0000 '
expect '^eflags +0x246 +\[ PF ZF IF \]'
expect '^cs +0x33 '
expect '^fs_base +0x7f0000001000 '
expect '^gs_base +0x7f0000002000 '
expect '^mxcsr +0x1f80 '
expect '^fctrl +0x37f '
expect '^\$1 = 1$'
expect '^\$2 = \{0x807060504030201, 0x100f0e0d0c0b0a09\}$'
expect '^\$3 = 0xf15$'
expect '^\$4 = 0x1234$'
expect '^0x401000:.0x0706050403020100.0x0000000000000055$'
expect 'Cannot access memory at address 0x500000'
expect 'process 1\) (killed|detached)'

# With AVX: ymm2's upper half comes from ymm2h, numbered after gs_base.
run_gdb "-a" -ex 'p/x $ymm2.v2_int128' -ex 'p/x $rip' -ex 'detach'
expect '^\$1 = \{0x0, 0xafaeadacabaaa9a8a7a6a5a4a3a2a1a0\}$'
expect '^\$2 = 0x401000$'

if [ $fail = 0 ]; then
    echo "== gdb ($(gdb --version | head -1)) accepts gdb/'s description and layout"
else
    cat "$out" >&2
fi
exit $fail
