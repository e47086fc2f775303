-- wrk script for scripts/bench. Configured through the environment (read at the top level, so the main Lua state
-- and every thread agree, and so the "health" mode stays a static request, wrk's cheapest path):
--   BENCH_MODE     health | get | search | search-<strategy> | create | mcp-search | mcp-create
--   BENCH_API_KEY  API key (all modes but health)
--   BENCH_MAX_ID   get: ids are drawn uniformly from 1..BENCH_MAX_ID
--   BENCH_FILE     search/create: request bodies, one JSON document per line
-- Every thread counts the status codes it sees; done() prints one machine-readable "BENCH ..." line.

local mode = os.getenv("BENCH_MODE") or "health"
local key = os.getenv("BENCH_API_KEY") or ""

local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if #line > 0 then lines[#lines + 1] = line end
  end
  assert(#lines > 0, "no request bodies in " .. tostring(path))
  return lines
end

-- main state: give every thread an id, and keep the threads to collect their counts in done()
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("tid", #threads)
end

statuses = {} -- global: done() reads it with thread:get
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

if mode == "health" then
  wrk.method = "GET"
  wrk.path = "/health/live"
else
  local auth_headers = {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }
  local requests = {}
  local next_index = 1
  local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "1")

  function init(args)
    local tid = tid or 1
    math.randomseed(tid * 7919 + os.time())
    if mode == "get" then
      return
    end
    local bodies = read_lines(os.getenv("BENCH_FILE"))
    local path = "/v1/memories"
    if mode:sub(1, 6) == "search" then path = "/v1/search" end
    if mode:sub(1, 4) == "mcp-" then path = "/v1/mcp" end
    local method = "POST"
    for i, body in ipairs(bodies) do
      requests[i] = wrk.format(method, path, auth_headers, body)
    end
    -- threads walk the pool from different places
    local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
    next_index = math.floor((tid - 1) * #requests / nthreads) % #requests + 1
  end

  if mode == "get" then
    local get_headers = { ["Authorization"] = "Bearer " .. key }
    function request()
      return wrk.format("GET", "/v1/memories/" .. math.random(1, max_id), get_headers)
    end
  elseif mode:sub(1, 6) == "search" or mode == "mcp-search" then
    function request()
      return requests[math.random(1, #requests)]
    end
  elseif mode == "create" or mode == "mcp-create" then
    function request()
      local r = requests[next_index]
      next_index = next_index + 1
      if next_index > #requests then next_index = 1 end
      return r
    end
  else
    error("unknown BENCH_MODE " .. mode)
  end
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    if s then
      for code, n in pairs(s) do counts[code] = (counts[code] or 0) + n end
    end
  end
  local codes, non2xx = {}, 0
  for code, n in pairs(counts) do
    codes[#codes + 1] = code
    if code < 200 or code > 299 then non2xx = non2xx + n end
  end
  table.sort(codes)
  local parts = {}
  for _, code in ipairs(codes) do parts[#parts + 1] = code .. ":" .. counts[code] end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH rps=%.2f p50_ms=%.3f p99_ms=%.3f requests=%d non2xx=%d socket_errors=%d statuses=%s"
      .. " errors=connect:%d,read:%d,write:%d,timeout:%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, non2xx, e.connect + e.read + e.write + e.timeout,
    (#parts > 0) and table.concat(parts, ",") or "none", e.connect, e.read, e.write, e.timeout))
end
