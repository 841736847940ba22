# busybox sh in a writable grant (tests/e2e/test_realprogs): files made,
# appended to, truncated and read back with shell builtins and
# redirections only (script.sh says why).
umask 022
echo "first" > made.txt
echo "second" >> made.txt
printf '%s=%d\n' a 1 b 2 >> made.txt
: > truncated.txt
echo "replaced" > fruits.txt
umask 077
echo "secret" > private.txt
umask 022
exec 4> fd4.txt
echo "through fd 4" >&4
printf 'no newline' >&4
exec 4>&-
exec 5>> made.txt
echo "appended through fd 5" >&5
exec 5>&-
n=0
while IFS= read -r line; do
    n=$((n + 1))
    echo "$n: $line" >> numbered.txt
done < made.txt
cd sub && echo "in sub" > here.txt && cd ..
echo "nope" > missing/file.txt
echo "into a missing directory: $?"
echo "on stderr" >&2
set -C
echo "clobbered" > made.txt
echo "noclobber: $?"
set +C
echo "overwritten" > made.txt
read -r first < numbered.txt
echo "first numbered: $first"
