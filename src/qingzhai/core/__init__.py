"""Shared pure pieces: money, time, identifiers, masking, errors. Imports nothing of ours."""
