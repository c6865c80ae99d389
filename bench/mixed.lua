-- wrk: the permalink page, with 1 request in 100 a comment POST to it.
-- Env: FORM_PATH, FORM_TOKEN as for comment-post.lua; EMAIL (below); POST_PATH, when set,
-- takes the comments instead (another post, as on a site where readers and
-- commenters are not all on one page).
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
counter = 0
run = os.time()
request = function()
  counter = counter + 1
  local path = os.getenv("FORM_PATH")
  if counter % 100 == 0 then
    local id = tostring(run) .. "-" .. tostring(tid) .. "-" .. counter
    -- EMAIL, when set, is a returning commenter's (published at once when
    -- the site holds only first comments); otherwise each is a newcomer's.
    local email = os.getenv("EMAIL") or ("mixed" .. id .. "@example.org")
    local body = "comment=Mixed+comment+" .. id .. "&author=Bench+Reader&email=" ..
      email:gsub("@", "%%40") .. "&url=&parent=&fp_hp=&fp_ts=" .. (os.getenv("FORM_TOKEN") or "")
    return wrk.format("POST", os.getenv("POST_PATH") or path, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
  end
  return wrk.format("GET", path)
end
