"""Benchmarks: `python -m bench.feed` measures the neighbourhood feed (see bench/README.md)."""
