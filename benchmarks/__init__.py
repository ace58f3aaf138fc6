"""Benchmarks: qacrawler side by side with what users would use instead (see benchmarks/README.md)."""
