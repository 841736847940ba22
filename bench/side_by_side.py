#!/usr/bin/env python3
"""Times whole commands side by side, for start-up figures that need no KVM.

    bench/side_by_side.py REPS 'CMD A' 'CMD B' ...

Each round runs every command once (A B C, then C B A, ...) with stdout and
stderr to /dev/null; prints the median wall time, the interquartile range
and the ratio to the first command.  The spawn cost of this script is in
every figure alike, so compare differences and ratios, not absolutes.
"""
import shlex
import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    reps = int(sys.argv[1])
    cmds = [shlex.split(c) for c in sys.argv[2:]]
    times = [[] for _ in cmds]
    for i in range(reps):
        order = range(len(cmds)) if i % 2 == 0 else reversed(range(len(cmds)))
        for j in order:
            t0 = time.perf_counter()
            subprocess.run(cmds[j], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
            times[j].append(time.perf_counter() - t0)
    base = statistics.median(times[0])
    for cmd, t in zip(sys.argv[2:], times):
        q = statistics.quantiles(t, n=4)
        med = statistics.median(t)
        print(f"| `{cmd}` | {med * 1e3:.2f} ms | {(q[2] - q[0]) * 1e3:.2f} ms "
              f"| {med / base:.2f}x |")


if __name__ == "__main__":
    main()
