"""Benchmarks (not tests): scripts run as `.venv/bin/python bench/<name>.py`."""
