-- wrk script: POSTs a multipart upload built from a JPEG file.
-- Usage: wrk ... -s bench/load_multipart.lua URL -- IMAGE.jpg [classify|screening]
local boundary = "----skinscan-bench-boundary"

local function part(name, value, filename, ctype)
  local head = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\""
  if filename then head = head .. "; filename=\"" .. filename .. "\"" end
  head = head .. "\r\n"
  if ctype then head = head .. "Content-Type: " .. ctype .. "\r\n" end
  return head .. "\r\n" .. value .. "\r\n"
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local image = f:read("*a")
  f:close()
  local body = part("image", image, "photo.jpg", "image/jpeg")
  if args[2] == "screening" then
    body = body .. part("patient_name", "Bench Patient") .. part("patient_phone", "+14155550123")
                .. part("doctor_name", "Dr. Bench") .. part("doctor_phone", "+14155550124")
  end
  wrk.method = "POST"
  wrk.body = body .. "--" .. boundary .. "--\r\n"
  wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("requests/s: %.1f\n", summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("latency p%s: %.1f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("latency max: %.1f ms\n", latency.max / 1000))
  local e = summary.errors
  io.write(string.format("errors: connect %d, read %d, write %d, timeout %d, non-2xx %d\n",
                         e.connect, e.read, e.write, e.timeout, e.status))
end
