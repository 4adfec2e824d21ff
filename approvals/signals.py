"""Events inside the approvals app, so its services need not import each other in a circle."""
from django.dispatch import Signal

# A validation run reached its verdict (kwargs: run). The review-request service listens: a passed run may
# apply its request.
validation_run_finished = Signal()
