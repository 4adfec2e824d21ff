"""Demo data for `make run`: users, and real scikit-learn models stored through the registry's services."""
