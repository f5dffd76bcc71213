-- Plays Kong 3.x's pre-function around ONE `config.access` chunk (read from stdin), for a
-- sequence of requests given as their upstream URIs, printing each upstream URI after the chunk:
--   luajit kong-pre-function-uri.lua <upstream_uri> [<upstream_uri> ...] < chunk.lua
-- What is Kong's here (kong/plugins/pre-function/_handler.lua `compile_phase_array`): the chunk
-- runs on the first request; a function it returns is the handler from then on, run at once
-- for that first request too. The chunk's environment holds `ngx` (Kong's sandbox gives it
-- `kong` and `ngx`), with `ngx.var` only: the chunk must need nothing else.

local chunk = assert(loadstring(io.read("*a"), "=pre-function"))
local var = {}
local ngx = setmetatable({ var = var }, {
  __index = function(_, k) error("unexpected ngx." .. tostring(k), 2) end,
})
setfenv(chunk, setmetatable({ ngx = ngx }, {
  __index = function(_, k) error("unexpected global " .. tostring(k), 2) end,
}))

local handler
for _, uri in ipairs(arg) do
  var.upstream_uri = uri
  if handler then
    handler()
  else
    local result = chunk()
    if type(result) == "function" then
      handler = result
      handler()
    else
      handler = chunk
    end
  end
  print(var.upstream_uri)
end
