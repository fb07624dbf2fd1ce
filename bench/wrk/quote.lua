-- (b) slot search + quote: each connection alternates GET /api/v1/slots and POST /api/v1/quote,
-- over 50 days and the 28 start times, so one wrk line measures both (half of each).
-- args: token service area home_area_sqm day1,day2,...
local token, service, area, sqm, days
local starts = {}
for h = 7, 20 do
  starts[#starts + 1] = string.format("%02d:00", h)
  starts[#starts + 1] = string.format("%02d:30", h)
end
local n = 0

local function split(s)
  local out = {}
  for item in string.gmatch(s, "[^,]+") do out[#out + 1] = item end
  return out
end

function init(args)
  token, service, area, sqm, days = args[1], args[2], args[3], args[4], split(args[5])
  n = math.random(0, 10000)
end

function request()
  n = n + 1
  local day = days[(n % #days) + 1]
  local headers = { ["Authorization"] = "Token " .. token, ["Accept"] = "application/json" }
  if n % 2 == 0 then
    local path = string.format("/api/v1/slots?service=%s&area=%s&day=%s&home_area_sqm=%s",
      service, area, day, sqm)
    return wrk.format("GET", path, headers)
  end
  headers["Content-Type"] = "application/json"
  local start = starts[(math.floor(n / #days) % #starts) + 1]
  local body = string.format(
    '{"service":"%s","area":"%s","day":"%s","start":"%s","home_area_sqm":%s}',
    service, area, day, start, sqm)
  return wrk.format("POST", "/api/v1/quote", headers, body)
end
