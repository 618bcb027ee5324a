-- wrk script for bench/load.sh: cycles through the lines of $TOKENS_FILE as Authorization values
-- (no file: no header) against $TARGET_PATH; counts non-expected statuses.
function init(args)
  tokens = {}
  local file = os.getenv("TOKENS_FILE")
  if file and file ~= "" then
    for line in io.lines(file) do table.insert(tokens, line) end
  end
  path = os.getenv("TARGET_PATH")
  expected = tonumber(os.getenv("EXPECTED_STATUS"))
  i = 0
  unexpected = 0
end

function request()
  if #tokens == 0 then return wrk.format("GET", path) end
  i = i % #tokens + 1
  return wrk.format("GET", path, { ["Authorization"] = tokens[i] })
end

function response(status, headers, body)
  if status ~= expected then unexpected = unexpected + 1 end
end

local threads = {}
function setup(thread) table.insert(threads, thread) end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("unexpected") end
  io.write(string.format("unexpected %d\n", n))
end
