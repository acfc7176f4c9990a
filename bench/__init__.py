"""Benchmarks of scale: a synthetic corpus generator and one command per measurement.

Run from the repository root, e.g. ``python -m bench.synth --chunks 100000 --out
bench-data/100k``; docs/performance.md lists every command with its results.
"""
