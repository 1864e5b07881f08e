-- wrk: GET /search for the queries in BENCH_QUERIES (one a line, most popular first).
-- BENCH_MIX=zipf: each request picks a query by a Zipf law (s = 1) over their ranks;
-- otherwise the queries are taken in turn (each thread from its own place in the list).
local queries = {}
local cumulative = {}
local zipf = os.getenv("BENCH_MIX") == "zipf"
local turn = 0
local threads = 0

local function encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(os.getenv("BENCH_QUERIES")) do
    if #line > 0 then table.insert(queries, "/search?q=" .. encode(line)) end
  end
  local total = 0
  for rank = 1, #queries do
    total = total + 1 / rank
    cumulative[rank] = total
  end
  for rank = 1, #queries do cumulative[rank] = cumulative[rank] / total end
  turn = (id or 0) * 97
  math.randomseed(os.time() + (id or 0))
end

function request()
  local i
  if zipf then
    local u = math.random()
    local lo, hi = 1, #queries
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if cumulative[mid] < u then lo = mid + 1 else hi = mid end
    end
    i = lo
  else
    turn = turn + 1
    i = (turn % #queries) + 1
  end
  return wrk.format("GET", queries[i], {["Accept-Encoding"] = "gzip"})
end

local statuses = {}
function response(status)
  statuses[status] = (statuses[status] or 0) + 1
end
