-- POSTs a wrong code for a different serial each request (SERIALS: one per line). FORMAT=json (softtoken) or form
-- (privacyIDEA). AUTH: an Authorization header value, if any.
local serials = {}
for line in io.lines(os.getenv("SERIALS")) do serials[#serials + 1] = line end
local json = os.getenv("FORMAT") == "json"
local headers = { ["Content-Type"] = json and "application/json" or "application/x-www-form-urlencoded" }
if os.getenv("AUTH") then headers["Authorization"] = os.getenv("AUTH") end
local i = math.random(#serials)
request = function()
  i = i % #serials + 1
  local s = serials[i]
  local body
  if json then body = '{"serial":"' .. s .. '","otp":"000000"}' else body = "serial=" .. s .. "&pass=000000" end
  return wrk.format("POST", nil, headers, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors_status=%d per_s=%.0f p50=%.1fms p99=%.1fms max=%.1fms\n",
    summary.requests, summary.errors.status, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
