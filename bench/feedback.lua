-- wrk script: JSON feedback posts from many simulated clients behind a trusted proxy
-- (127.0.0.1), each with its own X-Forwarded-For address and comment, so that rate limits and
-- duplicate detection pass and every post is a real, accepted insert.
local counter = 0
local slug = os.getenv("BENCH_SLUG") or "long-term-remission-her2-positive-metastatic-breast-cancer"

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  requests = 0
  math.randomseed(os.time() * 1000 + id)
end

function request()
  requests = requests + 1
  local ip = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  local body = string.format('{"helpful": %s, "comment": "bench %d-%d-%d"}',
    (requests % 2 == 0) and "true" or "false", id, requests, math.random(1, 1000000000))
  return wrk.format("POST", "/research-news/" .. slug .. "/feedback", {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = ip,
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36",
  }, body)
end
