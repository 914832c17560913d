"""Compliance engine (合规引擎): jurisdiction presets, pre-contact checks with reasons, atomic
reservations, agent suspension and an auditor for contact logs. See docs/compliance.md."""
