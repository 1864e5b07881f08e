-- wrk script: GET a different published story on each request, picked at random from the
-- slugs listed in $BENCH_SLUGS (one per line), so that no two concurrent requests share a read.
local slugs = {}

function init(args)
  for line in io.lines(os.getenv("BENCH_SLUGS")) do slugs[#slugs + 1] = line end
  math.randomseed(os.time() * 1000 + #slugs)
end

function request()
  local slug = slugs[math.random(#slugs)]
  return wrk.format("GET", "/research-news/" .. slug, {["Accept-Encoding"] = "gzip"})
end
