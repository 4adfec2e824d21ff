"""Validation runs: the checks a version passes before a governed promotion."""
