"""The parts of tests/bench/bench_diff.py: the corpora (PyPI release pairs, SWE-bench repositories at
their base commits with gold and model-written patches), the damage models write into diffs, the
formats people paste, and the four tools that apply them."""
