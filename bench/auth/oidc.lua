-- wrk script for the authorization-code exchange: each thread takes its share of the codes in
-- $CODES_FILE and spends each once; a thread stops when it has none left. Counts the exchanges
-- that answered tokens and prints exchanges/s at the end.

local codes = {}
local counter = 0
local threads = {}
-- A global, so that done() can read each thread's count.
exchanged = 0

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(os.getenv("CODES_FILE"), "r"))
  local threads_total = tonumber(os.getenv("WRK_THREADS") or "1")
  local i = 0
  for line in file:lines() do
    if i % threads_total == (index - 1) then
      table.insert(codes, line)
    end
    i = i + 1
  end
  file:close()
  wrk.method = "POST"
  wrk.path = "/oauth/token"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Authorization"] = "Basic " .. os.getenv("BASIC")
  tail = "&redirect_uri=" .. os.getenv("REDIRECT_URI"):gsub("[:/]", function(c)
    return string.format("%%%02X", string.byte(c))
  end) .. "&code_verifier=" .. os.getenv("VERIFIER")
end

function request()
  local code = table.remove(codes)
  if code == nil then
    wrk.thread:stop()
    return wrk.format("GET", "/health")
  end
  return wrk.format(nil, nil, nil, "grant_type=authorization_code&code=" .. code .. tail)
end

function response(status, headers, body)
  if status == 200 and body:find('"id_token"', 1, true) then
    exchanged = exchanged + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + (thread:get("exchanged") or 0)
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("authorization-code exchanges: %d in %.2fs = %.0f/s; p50 %.2fms, p99 %.2fms\n",
    total, seconds, total / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
