-- What Lua reports when things fail, natively and under kvmelf
-- (tests/e2e/test_realprogs, in a read-write copy of tests/e2e/realprogs):
-- every message comes from strerror of the errno the system call gave.
local function show(...)
    local t = table.pack(...)
    for i = 1, t.n do t[i] = tostring(t[i]) end
    print(table.concat(t, " | "))
end

show(io.open("nope.txt"))
show(io.open("nodir/x.txt", "w"))
show(io.open("fruits.txt/x", "r"))
show(io.type(io.open("sub")))
local d = assert(io.open("sub"))
show(d:read("a"))
d:close()
show(pcall(io.lines, "nope.txt"))
show(pcall(io.open, "fruits.txt", "rz"))
show(os.remove("nope.txt"))
show(os.remove("sub"))
show(os.rename("nope.txt", "x.txt"))
show(os.rename("sub", "sub/deep/inside"))
show(loadfile("nope.lua"))
show(pcall(dofile, "notes.txt"))
print(select(2, pcall(require, "missing.mod")))
show(io.read("n", "l"))
io.stderr:write("errors.lua: about to fail\n")
error("the end")
