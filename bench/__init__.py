"""Benchmarks on PostgreSQL: `make bench` runs every module here (see __main__.py)."""
