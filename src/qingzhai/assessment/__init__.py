"""Debtor assessment (债务评估): 12 indicators, fake-debt checks, shell-company detection."""
