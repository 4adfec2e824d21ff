"""Celery tasks of the registry: the beat-driven audit checkpoint."""
from celery import shared_task

from .services.audit_checkpoint import audit_checkpoint_write


@shared_task(name="models_app.audit_checkpoint_write")
def audit_checkpoint_write_task() -> dict | None:
    """Checkpoint the audit chain's head outside the database (beat: AUDIT_CHECKPOINT_INTERVAL_SECONDS).

    A chain that no longer extends the stored checkpoint makes this task fail on every run (CheckpointRefused)
    and leaves the checkpoint as it was, for verify_audit to report.
    """
    checkpoint = audit_checkpoint_write(wait=True)
    return None if checkpoint is None else {"count": checkpoint.count, "last_event_id": checkpoint.last_event_id}
