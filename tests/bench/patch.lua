-- wrk script: merge-patch one DatabaseToken's description with a counter, so every request
-- is a real write (a new resourceVersion and a watch event).
local n = 0
request = function()
  n = n + 1
  local body = '{"spec":{"description":"bench ' .. n .. '"}}'
  return wrk.format("PATCH", wrk.path, {
    ["Content-Type"] = "application/merge-patch+json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
  }, body)
end
