#!/usr/bin/env python3
"""Hand-made seeds for fuzz_fs, one or more per operation, written as
fuzz/corpus/fs/seed-NAME (python3 fuzz/fs_seeds.py [DIR]).

The encoding is fuzz/fuzz_fs.c's: these tables must follow its own
(names[], prefixes[], enum op, the flag and length tables)."""
import os
import struct
import sys

NAMES = ["a", "b", "c", "..", ".", "", "/", "tmp", "dev", "proc", "self",
         "fd", "0", "1", "2", "3", "4", "stdin", "stderr", "null", "zero",
         "full", "urandom", "exe", "work", "ro", "srv", "x", "e", "f", "d",
         "g", "l", "dl", "up", "abs", "loop", "esc", "deep", "new", "...",
         "00", "-1", "canary", "secret", "root", "long255", "long256"]
PREFIXES = ["/work", "/work/ro", "/srv/x", "/tmp", "/dev", "/dev/fd",
            "/proc/self", "/proc/self/fd", "/srv", "/", "/work/b",
            "/work/ro/d", "..", "../.."]
OPS = ["normalize", "open", "openat", "openat2", "creat", "close",
       "close_range", "dup", "dup2", "dup3", "fcntl", "pipe2", "read",
       "write", "pread", "pwrite", "rwv", "lseek", "getdents", "mkdir",
       "unlink", "rename", "symlink", "readlink", "link", "stat", "access",
       "cwd", "truncate", "chmod", "utimens", "fstat", "umask", "nofile",
       "ioctl", "copy", "flock", "chown", "fallocate", "poll"]
OFLAGS = ["creat", "excl", "trunc", "append", "nonblock", "directory",
          "nofollow", "path", "cloexec", "tmpfile", "noctty", "noatime",
          "largefile", "junk"]
ACC = {"r": 0, "w": 1, "rw": 2, "bad": 3}
LENS = [0, 1, 2, 5, 8, 19, 24, 64, 100, 280, 512, 4096, 8192]
OFFS = [0, 1, 3, 100, 4096, 1 << 20, -1, -4096, (1 << 63) - 1]
FCNTL = ["dupfd", "dupfd_cloexec", "getfd", "setfd", "getfl", "setfl",
         "getpipe_sz", "setpipe_sz", "getlk", "setlk", "ofd_getlk",
         "ofd_setlk", "getown", "bad"]
AT_FDCWD = 224          # pick_fd: the first of the special numbers
RECENT = 192            # pick_fd: the last fd a call returned, and on


def op(name):
    return bytes([OPS.index(name)])


def path(*comps, prefix=None, absolute=False, trailing=False, reps=None,
         fault=False):
    """Components are names of NAMES, else raw bytes."""
    h = len(comps)
    assert h <= 7
    h |= 8 if trailing else 0
    h |= 0x10 if reps else 0
    h |= 0x20 if fault else 0
    h |= 0x40 if prefix is not None else 0
    h |= 0x80 if absolute else 0
    out = bytes([h])
    if reps:
        out += bytes([reps - 1])
    if prefix is not None:
        out += bytes([PREFIXES.index(prefix)])
    for c in comps:
        if isinstance(c, str) and c not in NAMES:
            c = c.encode()
        if isinstance(c, bytes):
            out += bytes([0xff, len(c)]) + c
        else:
            out += bytes([NAMES.index(c)])
    return out


def oflags(acc="r", *bits):
    v = ACC[acc]
    for b in bits:
        v |= 4 << OFLAGS.index(b)
    return struct.pack("<H", v)


def mode(m):
    return struct.pack("<H", m)


def fd(n):
    return bytes([n])


def ln(n):
    return bytes([LENS.index(n)])


def off(n):
    return bytes([OFFS.index(n)])


BUF = b"\0"             # pick_buf: the heap's buffer
NOFLAGS = b"\0"         # pick_at_flags: none
AT_EMPTY = b"\x02"
AT_NOFOLLOW = b"\x01"
AT_REMOVEDIR = b"\x08"


def open_(p, acc="r", *bits, m=0o644):
    return op("open") + p + oflags(acc, *bits) + mode(m)


W = path("a", prefix="/work")
NEW = path("new", prefix="/work")
RO = path("f", prefix="/work/ro")

SEEDS = {
    "normalize-dots": op("normalize") + path("b", "..", prefix="/work")
    + path("..", "..", ".", "", "a", trailing=True) + b"\0",
    "normalize-long": op("normalize") + path(prefix="/") + path("long255",
                                                                reps=17)
    + b"\1",
    "normalize-escape": op("normalize") + path("b", prefix="/work")
    + path("esc") + b"\2" + op("normalize") + path(prefix="/work")
    + path("up", "f") + b"\3",
    "open-read-close": open_(W) + op("read") + fd(3) + ln(64) + BUF
    + op("close") + fd(3),
    "open-create-write-lseek": open_(NEW, "rw", "creat", "excl")
    + op("write") + fd(3) + ln(100) + BUF + op("lseek") + fd(3) + off(1)
    + b"\0" + op("pread") + fd(3) + ln(19) + BUF + off(3),
    "open-readonly-grant": open_(RO, "w") + open_(RO, "r", "creat")
    + op("pwrite") + fd(3) + ln(5) + BUF + off(0)
    + open_(path("new", prefix="/work/ro"), "w", "creat"),
    "open-escapes": open_(path("abs", "passwd", prefix="/work"))
    + open_(path("up", "f", prefix="/work")) + open_(path("esc",
                                                          prefix="/work"))
    + open_(path("loop", prefix="/work")) + open_(path("esc",
                                                       prefix="/work/ro"))
    + open_(path("..", "..", "..", "etc", prefix="/work")),
    "openat-dirfd": open_(path(prefix="/work"), "r", "directory")
    + op("openat") + fd(3) + path("b", "c") + oflags("r") + mode(0)
    + op("openat") + fd(AT_FDCWD) + path("dl", "c") + oflags("r", "path")
    + mode(0),
    "openat2-resolve": op("openat2") + fd(AT_FDCWD) + path("l",
                                                          prefix="/work")
    + oflags("r") + b"\x04\0\0" + op("openat2") + fd(AT_FDCWD)
    + path("a", prefix="/work") + oflags("r") + b"\x08\0\0",
    "creat-tmp": op("creat") + path("t", prefix="/tmp") + mode(0o600)
    + op("write") + fd(3) + ln(512) + BUF,
    "tmpfile": open_(path(prefix="/tmp"), "rw", "tmpfile", "directory")
    + op("link") + b"\1" + fd(3) + fd(AT_FDCWD) + path(b"")
    + path("kept", prefix="/tmp") + AT_EMPTY,
    "dup-family": open_(W) + op("dup") + fd(3) + op("dup2") + fd(3) + fd(9)
    + op("dup3") + fd(9) + fd(0) + b"\1" + op("close_range") + fd(4)
    + fd(23) + b"\0" + op("fcntl") + fd(3) + bytes([0]) + b"\0\0" + fd(7),
    "dup-limit": op("nofile") + b"\3" + open_(W) + op("dup") + fd(3)
    + op("dup") + fd(3) + op("dup2") + fd(3) + fd(20),
    "fcntl-flags": open_(W, "rw") + op("fcntl") + fd(3) + bytes([4])
    + b"\0\0" + op("fcntl") + fd(3) + bytes([5]) + b"\0\0"
    + oflags("r", "append", "nonblock") + op("fcntl") + fd(3) + bytes([3])
    + b"\1\0" + op("fcntl") + fd(3) + bytes([2]) + b"\0\0",
    "fcntl-locks": open_(W, "rw") + op("fcntl") + fd(3) + bytes([9])
    + b"\0\0" + b"\1\0" + off(0) + ln(100) + b"\0" + op("fcntl") + fd(3)
    + bytes([10]) + b"\0\0" + b"\1\0" + off(0) + ln(100) + b"\0",
    "pipe-rw": op("pipe2") + b"\2" + op("write") + fd(4) + ln(64) + BUF
    + op("read") + fd(3) + ln(100) + BUF + op("fcntl") + fd(3) + bytes([6])
    + b"\0\0" + op("close") + fd(3) + op("write") + fd(4) + ln(1) + BUF,
    "readv-writev": open_(NEW, "rw", "creat") + op("rwv") + fd(3) + b"\1"
    + ln(64) + ln(100) + BUF + b"\2" + off(0) + b"\0" + op("rwv") + fd(3)
    + b"\2" + ln(8) + ln(8) + BUF + b"\1" + off(0) + b"\0",
    "getdents": open_(path(prefix="/work"), "r", "directory")
    + op("getdents") + fd(3) + ln(512) + BUF + open_(path(prefix="/"), "r",
                                                     "directory")
    + op("getdents") + fd(4) + ln(4096) + BUF
    + open_(path(prefix="/proc/self/fd"), "r", "directory")
    + op("getdents") + fd(5) + ln(280) + BUF,
    "mkdir-rmdir": op("mkdir") + b"\0" + fd(0) + path("n", prefix="/work")
    + mode(0o755) + op("mkdir") + b"\1" + fd(AT_FDCWD) + path("n", "m")
    + mode(0o700) + op("unlink") + b"\1" + fd(0) + path("n", prefix="/work")
    + op("unlink") + b"\2" + fd(AT_FDCWD) + path("n", "m") + AT_REMOVEDIR,
    "unlink-rename": op("rename") + b"\0" + fd(0) + fd(0) + W
    + path("z", prefix="/work") + op("rename") + b"\x03" + fd(AT_FDCWD)
    + fd(AT_FDCWD) + path("b") + path("x", prefix="/srv/x")
    + op("unlink") + b"\0" + fd(0) + path("l", prefix="/work"),
    "symlink-readlink": op("symlink") + b"\0" + fd(0)
    + path("s", prefix="/work") + path("..", "..", "ro", "f")
    + open_(path("s", prefix="/work")) + op("readlink") + b"\0" + fd(0)
    + path("s", prefix="/work") + ln(64) + BUF + op("readlink") + b"\0"
    + fd(0) + path("stdin", prefix="/dev") + ln(64) + BUF,
    "link": op("link") + b"\0" + fd(0) + fd(0) + W
    + path("h", prefix="/work") + op("link") + b"\0" + fd(0) + fd(0) + RO
    + path("h2", prefix="/work"),
    "stat-family": op("stat") + b"\0" + fd(0) + W + NOFLAGS + op("stat")
    + b"\1" + fd(0) + path("abs", prefix="/work") + NOFLAGS + op("stat")
    + b"\2" + fd(AT_FDCWD) + path("null", prefix="/dev") + AT_NOFOLLOW
    + op("stat") + b"\3" + fd(AT_FDCWD) + path("exe", prefix="/proc/self")
    + NOFLAGS + op("stat") + b"\4" + fd(0) + path(prefix="/srv") + NOFLAGS,
    "access": op("access") + b"\0" + fd(0) + RO + b"\2" + op("access")
    + b"\1" + fd(AT_FDCWD) + W + b"\2" + NOFLAGS,
    "cwd": op("cwd") + b"\0" + path("b", prefix="/work") + open_(path("c"))
    + op("cwd") + b"\2" + ln(64) + BUF + open_(path(prefix="/dev"), "r",
                                                 "directory")
    + op("cwd") + b"\1" + fd(4) + open_(path("null")),
    "truncate": op("truncate") + b"\0" + W + ln(2) + op("truncate") + b"\0"
    + RO + ln(0) + open_(W, "rw") + op("truncate") + b"\1" + fd(3) + ln(8),
    "chmod-chown-utimens": op("chmod") + b"\1" + fd(0) + W + mode(0o600)
    + op("chmod") + b"\2" + fd(AT_FDCWD) + RO + mode(0o600) + NOFLAGS
    + op("chown") + b"\0" + fd(AT_FDCWD) + W + NOFLAGS + op("utimens")
    + b"\0" + fd(AT_FDCWD) + W + b"\1\0\1\1" + NOFLAGS,
    "fstat-fstatfs": open_(RO) + op("fstat") + b"\0" + fd(3) + op("fstat")
    + b"\1" + fd(3) + op("fstat") + b"\0" + fd(1),
    "umask-create": op("umask") + b"\x3f\0" + open_(NEW, "w", "creat",
                                                   m=0o777),
    "ioctl": op("pipe2") + b"\0" + op("ioctl") + fd(3) + b"\0"
    + op("ioctl") + fd(0) + b"\4" + op("ioctl") + fd(3) + b"\x83",
    "sendfile-copy": open_(W) + open_(NEW, "rw", "creat") + op("copy")
    + fd(4) + fd(3) + b"\1" + off(0) + off(0) + ln(100) + op("copy")
    + fd(3) + fd(4) + b"\x06" + off(0) + off(1) + ln(64),
    "flock": open_(W) + open_(W) + op("flock") + fd(3) + b"\1"
    + op("flock") + fd(4) + b"\1",
    "fallocate": open_(NEW, "rw", "creat") + op("fallocate") + fd(3)
    + b"\0" + ln(0) + ln(4096) + op("fallocate") + fd(3) + b"\2" + ln(8)
    + ln(100),
    "poll": op("pipe2") + b"\0" + op("poll") + fd(3) + b"\1\0" + fd(4)
    + b"\4\0" + fd(99 % 24) + b"\1\0" + b"\3",
    "devices": open_(path("null", prefix="/dev"), "rw") + open_(path(
        "zero", prefix="/dev")) + op("read") + fd(4) + ln(64) + BUF
    + open_(path("0", prefix="/dev/fd")) + open_(path("3",
                                                      prefix="/proc/self/fd"),
                                                 "r", "nofollow"),
    "long-and-faulting": open_(path("long255", prefix="/work", reps=17))
    + open_(path("a", prefix="/work", fault=True))
    + open_(path("long256", prefix="/work")),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "fs")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
