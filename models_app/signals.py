"""Signals other apps listen to without models_app importing them."""
from django.dispatch import Signal

# Sent by `manage.py seed_demo` once the demo users and models exist. Receivers add their own demo data
# and return the lines the command prints about it.
demo_seeded = Signal()
