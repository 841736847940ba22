#!/bin/sh
# The folders' one-way dependencies (docs/architecture.md): a file of
# folder F may include headers of F and of the folders before F in
# MODULES, never of one after it, so the graph has no cycle.  And
# <linux/kvm.h> stays in vcpu/ (and in the filter generator, which names
# the KVM ioctls it allows).
#   tools/check-layers.sh "common console ... src"
set -eu
order=$1
fail=0
rank() {
    i=0
    for m in $order; do
        [ "$m" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done
    echo -1
}
for dir in $order; do
    r=$(rank "$dir")
    for f in "$dir"/*.c "$dir"/*.h "$dir"/*.S; do
        [ -f "$f" ] || continue
        for inc in $(sed -n 's/^#include "\([a-z_]*\)\/[^"]*".*/\1/p' "$f"); do
            ri=$(rank "$inc")
            [ "$ri" -lt 0 ] && continue          # not a module (tests/...)
            if [ "$ri" -gt "$r" ]; then
                echo "check-layers: $f includes $inc/, which comes after $dir/" >&2
                fail=1
            fi
        done
        if grep -q '#include <linux/kvm.h>' "$f" && [ "$dir" != vcpu ] &&
           [ "$f" != sandbox/filter_gen.c ]; then
            echo "check-layers: $f includes <linux/kvm.h> outside vcpu/" >&2
            fail=1
        fi
    done
done
[ $fail = 0 ] && echo "== folders depend one way: $order"
exit $fail
