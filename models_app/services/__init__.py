"""Every write to the registry goes through a function here (style guide §2)."""
