-- wrk: distinct comments posted to ferropress's comment form.
-- Env: FORM_PATH (the post's permalink), FORM_TOKEN (an fp_ts value from the page).
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
counter = 0
run = os.time()
request = function()
  counter = counter + 1
  local id = tostring(run) .. "-" .. tostring(tid) .. "-" .. counter
  local body = "comment=Bench+comment+" .. id .. "+about+neck+pain" ..
    "&author=Bench+Reader&email=bench" .. id .. "%40example.org&url=&parent=" ..
    "&fp_hp=&fp_ts=" .. (os.getenv("FORM_TOKEN") or "")
  return wrk.format("POST", os.getenv("FORM_PATH"),
    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
