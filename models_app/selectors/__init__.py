"""Reads. Pages and APIs fetch through these, so they see the same rows and the same errors."""
