"""Synthetic portfolios and debtor behaviour, for the demo, tests and benchmarks."""
