-- Plays Kong 3.x's post-function around ONE `config.access` chunk (read from stdin), for a
-- sequence of requests given as arguments, one output line per request:
--   luajit kong-post-function.lua <request> [<request> ...] < chunk.lua
-- A request is a comma-separated list of the kong.ctx.shared keys set to true, optionally
-- prefixed with "preflight:" for `OPTIONS` with `Access-Control-Request-Method: GET`
-- (otherwise `GET` without that header). Each line is `pass` or `exit <status> <json body>`.
--
-- What is Kong's here, and from where:
--  * compile_phase(): kong/plugins/pre-function/_handler.lua `compile_phase_array`, verbatim in
--    its logic: the chunk runs on the first request; if it returns a function, that function
--    becomes the handler for every later request; an early exit keeps the chunk itself.
--  * the chunk sees only `kong` (Kong's sandbox gives it `kong` and `ngx`): a chunk that needs
--    anything else fails here.
--  * each request runs in a coroutine, and kong.response.exit yields it for good, as Kong's
--    delayed response in `access` does (kong/pdk/response.lua; kong/init.lua runs access
--    handlers as coroutines with ctx.delay_response).
--  * kong.ctx.shared is a new table per request (kong/pdk/ctx.lua keeps it in ngx.ctx).

local chunk_text = io.read("*a")

local function strict(name, t)
  return setmetatable(t, { __index = function(_, k) error("unexpected " .. name .. "." .. tostring(k), 2) end })
end

local current -- the request being served
local kong = strict("kong", {
  ctx = setmetatable({}, { __index = function(_, k)
    if k == "shared" then return current.shared end
    error("unexpected kong.ctx." .. tostring(k), 2)
  end }),
  request = strict("kong.request", {
    get_method = function() return current.method end,
    get_header = function(name)
      assert(type(name) == "string", "header name must be a string")
      return current.headers[name:lower()]
    end,
  }),
  response = strict("kong.response", {
    exit = function(status, body, headers)
      assert(type(status) == "number", "status must be a number")
      current.exit = { status = status, body = body, headers = headers }
      coroutine.yield() -- never resumed: the delayed response ends the handler here
    end,
  }),
})

local chunk = assert(loadstring(chunk_text, "=post-function"))
setfenv(chunk, { kong = kong })

local function compile_phase(func)
  local compiled = {}
  local first_run_complete = false
  compiled[1] = function()
    if not first_run_complete then
      first_run_complete = true
      local result = func()
      if type(result) == "function" then
        func = result
        compiled[1] = func
        func()
      end
      compiled[1] = func
    else
      compiled[1] = func
      func()
    end
  end
  return function()
    for _, f in ipairs(compiled) do f() end
  end
end

local access = compile_phase(chunk)

-- cjson-like encoding of the flat tables an exit body can be here.
local function json(v)
  if type(v) == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  elseif type(v) == "number" or type(v) == "boolean" then
    return tostring(v)
  elseif type(v) == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = json(tostring(k)) .. ":" .. json(v[k]) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "null"
end

for _, spec in ipairs(arg) do
  local preflight, keys = spec:match("^(preflight:)(.*)$")
  keys = keys or spec
  current = { shared = {}, headers = {}, method = preflight and "OPTIONS" or "GET" }
  if preflight then current.headers["access-control-request-method"] = "GET" end
  for key in keys:gmatch("[^,]+") do current.shared[key] = true end
  local co = coroutine.create(access)
  local ok, err = coroutine.resume(co)
  if not ok then error(err) end
  if current.exit then
    print(("exit %d %s"):format(current.exit.status, json(current.exit.body)))
  else
    assert(coroutine.status(co) == "dead", "handler neither finished nor exited")
    print("pass")
  end
end
