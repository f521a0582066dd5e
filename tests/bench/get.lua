-- wrk script: GET one DatabaseToken with the admin token.
request = function()
  return wrk.format("GET", wrk.path, {
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
    ["Accept"] = "application/json",
  })
end
