"""Execution tracking (执行追踪): contracts that run themselves, payments and promises, the ledger."""
