-- A module main.lua requires from its own directory ("./?.lua").
local M = {}

function M.readall(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("a")
    f:close()
    return s
end

function M.show(...)
    local t = table.pack(...)
    for i = 1, t.n do t[i] = tostring(t[i]) end
    print(table.concat(t, " | "))
end

return M
