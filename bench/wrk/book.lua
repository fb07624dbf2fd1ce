-- (c) creating an order: POST /api/v1/orders with a unique Idempotency-Key per request, spread
-- over 50 days, the 28 start times and both areas so that a provider is free for most of them.
-- args: token service areaA,areaB home_area_sqm day1,day2,... run_nonce
local token, service, areas, sqm, days, nonce
local starts = {}
for h = 7, 20 do
  starts[#starts + 1] = string.format("%02d:00", h)
  starts[#starts + 1] = string.format("%02d:30", h)
end
local thread_no = 0
local n = 0

local function split(s)
  local out = {}
  for item in string.gmatch(s, "[^,]+") do out[#out + 1] = item end
  return out
end

function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
end

function init(args)
  token, service, areas, sqm, days, nonce =
    args[1], args[2], split(args[3]), args[4], split(args[5]), args[6]
  n = (tid or 0) * 7919
end

function request()
  n = n + 1
  local day = days[(n % #days) + 1]
  local start = starts[(math.floor(n / #days) % #starts) + 1]
  local area = areas[(math.floor(n / (#days * #starts)) % #areas) + 1]
  local body = string.format(
    '{"service":"%s","area":"%s","day":"%s","start":"%s","home_area_sqm":%s,'
      .. '"address":"Bench street %d","notes":""}',
    service, area, day, start, sqm, n)
  local headers = {
    ["Authorization"] = "Token " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%s-%d-%d", nonce, tid or 0, n),
  }
  return wrk.format("POST", "/api/v1/orders", headers, body)
end
