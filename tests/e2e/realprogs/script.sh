# busybox sh, run by tests/e2e/test_realprogs natively and under kvmelf
# in tests/e2e/realprogs: shell builtins only (read, echo, printf, test,
# cd, set, exec, redirections and here-documents).  Debian's
# busybox-static ash forks for any other command, and a kvmelf guest has
# no processes.
echo "args: $# [$1] [$2]"
total=0
while IFS=' ' read -r name qty; do
    total=$((total + qty))
    printf '%-7s|%3d\n' "$name" "$qty"
done < fruits.txt
echo "total $total"
n=0
while IFS= read -r line; do
    n=$((n + 1))
    case $line in
        *needle*) echo "stdin $n, a needle: $line" ;;
        *) echo "stdin $n: $line" ;;
    esac
done
echo "$n lines on stdin"
for f in sub/* *.txt; do
    if [ -d "$f" ]; then echo "dir  $f"; elif [ -f "$f" ]; then echo "file $f"; fi
done
set -- sub/deep/*
echo "deep: $# $1"
IFS=: read -r a b c <<EOF2
one:two:three
EOF2
echo "$c $b $a"
exec 3< sub/a.txt
read -r first <&3
read -r second <&3
exec 3<&-
echo "from fd 3: $first $second"
read -r last < sub/nonl
echo "no newline: status $? [$last]"
if read -r x < missing.txt; then echo "read it"; else echo "missing.txt: $?"; fi
cd sub/deep && echo "in ${PWD##*/}" && cd ../..
[ -e dangling ] || echo "dangling: no target"
[ -L dangling ] && echo "dangling: a link"
[ -d dirlink/ ] && echo "dirlink/: a directory"
[ -r notes.txt ] && [ -s notes.txt ] && echo "notes.txt: readable, not empty"
exit 3
