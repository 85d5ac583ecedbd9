-- wrk prints 50/75/90/99 % with --latency; the benchmark goal also needs the 95th percentile.
done = function(summary, latency, requests)
   io.write(string.format("p95_us %d\n", latency:percentile(95.0)))
end
