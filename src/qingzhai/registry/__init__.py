"""Case registry: creditors, debtors, debts, cases, their stages, holds and events."""
