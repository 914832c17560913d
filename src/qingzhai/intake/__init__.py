"""Intake (受理): a creditor's placement file becomes debtors, debts and cases."""
