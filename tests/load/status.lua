-- wrk script: cycles through the Authorization values in $TOKENS_FILE (one per line) and counts
-- response statuses per class; prints one line "counts 200=N 400=N 401=N 403=N 429=N 503=N 5xx=N other=N".
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  for line in io.lines(os.getenv("TOKENS_FILE")) do
    table.insert(tokens, line)
  end
  i = 0
  c200, c400, c401, c403, c429, c503, c5xx, cother = 0, 0, 0, 0, 0, 0, 0, 0
end

function request()
  i = i % #tokens + 1
  return wrk.format("GET", "/orders", { ["Authorization"] = tokens[i] })
end

function response(status, headers, body)
  if status == 200 then c200 = c200 + 1
  elseif status == 400 then c400 = c400 + 1
  elseif status == 401 then c401 = c401 + 1
  elseif status == 403 then c403 = c403 + 1
  elseif status == 429 then c429 = c429 + 1
  elseif status == 503 then c503 = c503 + 1
  elseif status >= 500 then c5xx = c5xx + 1
  else cother = cother + 1 end
end

function done(summary, latency, requests)
  local t = { c200 = 0, c400 = 0, c401 = 0, c403 = 0, c429 = 0, c503 = 0, c5xx = 0, cother = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + thread:get(k) end
  end
  io.write(string.format("counts 200=%d 400=%d 401=%d 403=%d 429=%d 503=%d 5xx=%d other=%d errors=%d\n",
    t.c200, t.c400, t.c401, t.c403, t.c429, t.c503, t.c5xx, t.cother,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
