-- Lua 5.4 run by tests/e2e/test_realprogs natively and under kvmelf, in
-- a copy of tests/e2e/realprogs granted read-write: modules from the
-- working directory, io and os on its files, stdin, the exit status.
local util = require("util")
local pkg = require("pkg")
local show = util.show

show("args", #arg, arg[0], arg[1], arg[2])
show(pkg.name, pkg.sub.count(), pkg.sub.count(), pkg.sub.where)
show("required once", package.loaded.util == util, require("util") == util)

-- Reading: number and line formats, seek, lines with formats.
local f = assert(io.open("numbers.txt"))
show(f:read("n", "n", "n"))
show(f:read("l"))
show(f:read("L"))
show(f:read("a") == "", f:read("l"))
show(f:seek("set", 3), f:read(4), f:seek("cur"), f:seek("end"))
f:close()
show(pcall(f.read, f))
show(io.type(f), io.type(io.stdout), io.type(42))
for a, b in io.lines("numbers.txt", 2, "l") do show(a, b) end
local count, longest = 0, ""
for line in io.lines("notes.txt") do
    count = count + 1
    if #line > #longest then longest = line end
end
show("notes", count, longest)

-- Writing: a new file, buffered; append and read back; overwrite in place.
local w = assert(io.open("log.txt", "w"))
w:setvbuf("full", 64)
for i = 1, 200 do w:write(string.format("%03d %s\n", i, string.rep("x", i % 7))) end
w:close()
local a = assert(io.open("log.txt", "a+"))
a:write("appended\n")
a:seek("set", 0)
show("first line", a:read("l"))
a:close()
local rw = assert(io.open("log.txt", "r+"))
rw:seek("set", 4)
rw:write("YYY")
rw:close()
local n, last = 0, nil
for line in io.lines("log.txt") do n = n + 1; last = line end
show("log", n, last, #util.readall("log.txt"))

-- Rename, remove, a temporary file in /tmp.
assert(os.rename("log.txt", "sub/log-renamed.txt"))
show("renamed", io.open("log.txt"), #util.readall("sub/log-renamed.txt"))
show(os.rename("sub/log-renamed.txt", "no/such/dir.txt"))
assert(os.rename("fruits.txt", "sub/fruits.txt"))
show(os.remove("sub/nonl"), os.remove("sub/nonl"))
local t = os.tmpname()
local tf = assert(io.open(t, "w"))
tf:write("in tmp")
tf:close()
show("tmpname", t:match("^/tmp/lua_%w+$") ~= nil, util.readall(t))
assert(os.rename(t, t .. ".moved"))
show(util.readall(t .. ".moved"), os.remove(t .. ".moved"),
     select(3, os.remove(t)))     -- its errno: the name is random
assert(io.open("gone.txt", "w")):close()
show("gone", os.remove("gone.txt"), io.open("gone.txt"))

-- stdin: every line, summed where it is a number.
local lines, sum = 0, 0
for line in io.lines() do
    lines = lines + 1
    sum = sum + (tonumber(line) or 0)
end
show("stdin", lines, sum)

-- The environment is empty both ways but for TZ, which the test sets.
show(os.getenv("HOME"), os.getenv("TZ"))
show(os.date("%Y-%m-%d %H:%M:%S", 981173106),
     os.time({ year = 2001, month = 2, day = 3, hour = 4, min = 5, sec = 6 }))
show(type(os.clock()), os.difftime(10, 4), math.type(os.time()))
show(string.format("%5.2f %g %q %x", math.pi, 2^63, "a\nb\0c", 255))
io.stderr:write("main.lua: done\n")
io.write("no newline at the end")
os.exit(3)
