-- (d), (e) the reference views: POST a booking-sized JSON body with the customer's token.
-- args: token path
local token, target
function init(args)
  token, target = args[1], args[2]
end

function request()
  local headers = {
    ["Authorization"] = "Token " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }
  local body = '{"service":"home-cleaning","area":"a","day":"2026-12-01","start":"10:00",'
    .. '"home_area_sqm":60,"address":"Bench street 1","notes":""}'
  return wrk.format("POST", target, headers, body)
end
