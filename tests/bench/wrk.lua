-- wrk script of the benchmarks: requests come from a file of lines
--   METHOD <TAB> PATH <TAB> BEARER TOKEN <TAB> JSON BODY (may be empty)
-- Read runs cycle through the lines (each thread from its own offset); write runs (WQ_ONCE=1)
-- give each line to one thread only, and a thread whose lines are used up repeats none: it
-- asks for /_bench-spare instead (a 404, counted as "spare" by the harness), so no write is
-- sent twice.
-- done() prints one JSON line the harness parses.
local threads = {}
local lines = {}
local n = 0
statuses = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function split(line)
  local parts = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do table.insert(parts, field) end
  return parts
end

function init(args)
  local once = os.getenv("WQ_ONCE") == "1"
  local nthreads = tonumber(os.getenv("WQ_THREADS") or "1")
  local i = 0
  for line in io.lines(args[1]) do
    if not once or (i % nthreads) == id then
      local p = split(line)
      table.insert(lines, {method = p[1], path = p[2], token = p[3], body = p[4]})
    end
    i = i + 1
  end
  if not once then n = (id * 7919) % math.max(#lines, 1) end
  wrk.once = once
end

function request()
  n = n + 1
  if n > #lines then
    if wrk.once then
      return wrk.format("GET", "/_bench-spare")
    end
    n = 1
  end
  local l = lines[n]
  local headers = {["Authorization"] = "Bearer " .. l.token}
  local body = nil
  if l.body ~= nil and l.body ~= "" then
    headers["Content-Type"] = "application/json"
    body = l.body
  end
  return wrk.format(l.method, l.path, headers, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%s": %d', k, v)) end
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.mean, table.concat(parts, ", ")))
end
