"""`make bench`: speed and memory of reviewer, each figure beside a baseline or ceiling measured
in the same run. `python -m reviewer.bench [--quick]` prints a table and writes
benchmarks/results.json; nothing here is imported by the service or the tests."""
