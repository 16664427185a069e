-- wrk script: one ~150-byte native message per POST /messages.
--   SLUICE_TOKEN=al_... wrk -t1 -c64 -d10s -s bench/wrk/post_message.lua http://127.0.0.1:8080
-- Every 202 is a durable acknowledgement (group commit with fsync).
local token = os.getenv("SLUICE_TOKEN")
if token == nil or token == "" then
  error("set SLUICE_TOKEN to an ingest token (al_...)")
end
wrk.method = "POST"
wrk.path = "/messages"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"message":"user signed in from the web console","level":"info",' ..
           '"metadata":{"user":"u-4242","session":"s-7f3a9c","region":"eu-west-1"}}'

-- Each wrk thread runs its own Lua state: count statuses per thread, then sum
-- them in done() so a run shows how many answers were 202.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  io.write("status counts:")
  for status, n in pairs(total) do
    io.write(string.format(" %d=%d", status, n))
  end
  io.write(string.format("\np50 %.2f ms, p99 %.2f ms\n",
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
