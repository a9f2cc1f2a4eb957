-- wrk script for the refresh grant: every connection follows its own token chain (a refresh
-- token works once; the answer carries the next one). Each thread starts with its share of the
-- tokens in $TOKENS_FILE and puts every returned token back in its pool.

local pool = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
end

function init(args)
  local file = assert(io.open(os.getenv("TOKENS_FILE"), "r"))
  local threads_total = tonumber(os.getenv("WRK_THREADS") or "1")
  local i = 0
  for line in file:lines() do
    if i % threads_total == (index - 1) then
      table.insert(pool, line)
    end
    i = i + 1
  end
  file:close()
  wrk.method = "POST"
  wrk.path = "/token?grant_type=refresh_token"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local token = table.remove(pool)
  if token == nil then
    -- More connections than tokens: wait for an answer by sending a harmless request.
    return wrk.format("GET", "/health")
  end
  return wrk.format(nil, nil, nil, '{"refresh_token":"' .. token .. '"}')
end

function response(status, headers, body)
  -- Failures are counted by wrk itself ("Non-2xx or 3xx responses").
  local next_token = body:match('"refresh_token":"([^"]+)"')
  if next_token then
    table.insert(pool, next_token)
  end
end
