-- wrk script for bench/measure.py. Everything comes from the environment,
-- so one script serves every endpoint:
--   WRK_METHOD    GET (default) or POST
--   WRK_BODY      request body (sent as application/json)
--   WRK_HEADERS   extra headers, "Name: value" lines separated by "\n"
--   WRK_REGISTER  when set, a register body with a username no other request
--                 uses: "<WRK_REGISTER>-<thread>-<n>", password WRK_PASSWORD
--   WRK_LOGIN     when set, login bodies for these comma-separated usernames
--                 in turn, password WRK_PASSWORD
--   WRK_OUT       where done() writes the summary as JSON

-- thread_no is set per thread by setup() (a global in that thread's state).
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

function init(args)
  wrk.method = os.getenv("WRK_METHOD") or "GET"
  local body = os.getenv("WRK_BODY")
  if body and body ~= "" then
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
  end
  for line in string.gmatch(os.getenv("WRK_HEADERS") or "", "[^\n]+") do
    local name, value = string.match(line, "^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
end

-- Only defined for register and login: a static request is cheaper for wrk
-- to send.
local password = os.getenv("WRK_PASSWORD") or "bench-password-staple"
local prefix = os.getenv("WRK_REGISTER")
local logins = {}
for name in string.gmatch(os.getenv("WRK_LOGIN") or "", "[^,]+") do
  logins[#logins + 1] = name
end
if prefix and prefix ~= "" then
  function request()
    counter = counter + 1
    local body = string.format('{"username":"%s-%d-%d","password":"%s"}',
      prefix, thread_no, counter, password)
    return wrk.format(nil, nil, nil, body)
  end
elseif #logins > 0 then
  function request()
    -- Threads start at different users, so they do not move in step.
    counter = counter + 1
    local name = logins[(counter + thread_no * 3) % #logins + 1]
    local body = string.format('{"username":"%s","password":"%s"}', name, password)
    return wrk.format(nil, nil, nil, body)
  end
end

-- The summary as JSON, with the latency percentiles 1..99 so that several
-- runs of one endpoint can be pooled (bench/measure.py alternates slices of
-- an endpoint and its floor).
function done(summary, latency, requests)
  local e = summary.errors
  local quantiles = {}
  for p = 1, 99 do quantiles[p] = string.format("%d", latency:percentile(p)) end
  local out = assert(io.open(assert(os.getenv("WRK_OUT")), "w"))
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"max":%d,"percentiles":[%s]}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, table.concat(quantiles, ",")))
  out:close()
end
