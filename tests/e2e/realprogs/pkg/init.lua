-- A package ("./?/init.lua") that requires a module of its own.
return { name = "pkg", sub = require("pkg.sub") }
