"""Benchmarks at scale (``python -m bench`` / ``make bench``) and the load test
(``python -m bench.load`` / ``make loadtest``). Scripts, never part of the test suite's timing.

Every part runs in its own subprocess with its own ``DATABASE_URL`` (so a part that fails is
reported as "not measured: <reason>" instead of stopping the run), writes a JSON file, and the
runner turns the JSON into one markdown table (``report.py``).
"""
