#!/bin/sh
# bench/need-qemu.sh says what it is about to install before apt-get runs,
# and what came of it; as a non-root user, and with BENCH_NO_QEMU, it
# installs nothing.  apt-get and id are fakes on a PATH without QEMU.
set -eu
script=$(cd "$(dirname "$0")/../.." && pwd)/bench/need-qemu.sh
dir=$(mktemp -d "${TMPDIR:-/tmp}/kvmelf-qemu-XXXXXX")
trap 'rm -rf "$dir"' EXIT
fake() { printf '#!/bin/sh\n%s\n' "$2" > "$dir/$1"; chmod +x "$dir/$1"; }
fail() { echo "check-need-qemu: $*" >&2; exit 1; }

fake id 'echo 0'
fake apt-get 'echo "FAKE apt-get $*" >&2; exit 0'
out=$(PATH="$dir" /bin/sh "$script" 2>&1)
first=$(printf '%s\n' "$out" | head -n 1)
case "$first" in
    "bench: qemu-system-x86_64 is missing: installing Debian's qemu-system-x86"*) ;;
    *) fail "the first line is not the announcement: $out" ;;
esac
printf '%s\n' "$out" | grep -q '^FAKE apt-get install' ||
    fail "apt-get install was not run: $out"
printf '%s\n' "$out" | tail -n 1 | grep -q '^bench: installed qemu-system-x86$' ||
    fail "no closing line: $out"

fake apt-get 'echo "FAKE apt-get $*" >&2; exit 100'
out=$(PATH="$dir" /bin/sh "$script" 2>&1)
printf '%s\n' "$out" | tail -n 1 |
    grep -q '^bench: apt-get could not install qemu-system-x86: no QEMU column$' ||
    fail "a failed install is not reported: $out"

out=$(PATH="$dir" BENCH_NO_QEMU=1 /bin/sh "$script" 2>&1)
case "$out" in *FAKE*) fail "BENCH_NO_QEMU installed anyway: $out" ;; esac
fake id 'echo 1000'
out=$(PATH="$dir" /bin/sh "$script" 2>&1)
case "$out" in
    *FAKE*) fail "a non-root user installed: $out" ;;
    *"not root: no QEMU column"*) ;;
    *) fail "no word for a non-root user: $out" ;;
esac
echo "== bench/need-qemu.sh announces, installs, reports (fake apt-get)"
