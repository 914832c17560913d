"""Repayment-capacity scoring: LightGBM and a WoE scorecard, calibrated, explained, checked for fairness."""
