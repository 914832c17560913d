"""Security and privacy: users and roles, per-case access, the hash-chained audit trail,
envelope encryption of personal data, PIPL legal bases and data-subject requests."""
