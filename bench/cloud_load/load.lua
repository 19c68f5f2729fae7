-- wrk script: alternates pre-signed SearchFaces and DetectFace requests and
-- counts answers that are not HTTP 200 or carry an error envelope, by code.
local dir = os.getenv("REQUESTS_DIR")
local function read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end
local function load(name)
  local headers = {}
  for k, v in read(dir .. "/" .. name .. ".headers"):gmatch("([^:\n]+): ([^\n]*)\n") do headers[k] = v end
  return wrk.format("POST", "/", headers, read(dir .. "/" .. name .. ".body"))
end

local threads = {}
function setup(thread) table.insert(threads, thread) end

function init(args)
  mix = { load("SearchFaces"), load("DetectFace") }
  n = 0
  failed = 0
  codes = {}
end

function request()
  n = n + 1
  return mix[(n % #mix) + 1]
end

function response(status, headers, body)
  if status ~= 200 then
    failed = failed + 1
    codes["HTTP" .. status] = (codes["HTTP" .. status] or 0) + 1
    return
  end
  local code = body:match('"Code":"([^"]+)"')
  if code then
    failed = failed + 1
    codes[code] = (codes[code] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total_failed, merged = 0, {}
  for _, t in ipairs(threads) do
    total_failed = total_failed + t:get("failed")
    for k, v in pairs(t:get("codes")) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%s": %d', k, v)) end
  io.write(string.format(
    '{"requests": %d, "seconds": %.1f, "rps": %.1f, "p50_ms": %.1f, "p90_ms": %.1f, "p99_ms": %.1f, ' ..
    '"max_ms": %.1f, "socket_errors": %d, "failed": %d, "failed_by_code": {%s}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    total_failed, table.concat(parts, ", ")))
end
