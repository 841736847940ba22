-- require passes the module's name; the upvalue outlives the call.
local n = 0
return { where = ..., count = function() n = n + 1; return n end }
