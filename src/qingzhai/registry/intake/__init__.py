"""Intake (受理), part of the registry: a creditor's placement file becomes debtors, debts and cases."""
