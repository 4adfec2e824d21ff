"""The worker tests' fixtures (tests/approvals/worker/support.py)."""
from .support import broker, celery_processes, embedded_serve, redis_server  # noqa: F401 - fixtures
