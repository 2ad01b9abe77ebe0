"""Settings of bench/cases.py's server: the product's settings, with the benchmark's URLs
(the product's, plus the baseline view of `bench.cases_urls`)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.cases_urls"
