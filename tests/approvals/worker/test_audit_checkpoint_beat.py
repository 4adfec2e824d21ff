"""The audit checkpoint written by a real `celery beat` and worker, outside the database, for verify_audit."""
import time
from io import StringIO

import pytest
from django.core.management import call_command

from models_app.choices import AuditAction
from models_app.services.audit import audit_record
from models_app.services.audit_checkpoint import audit_checkpoint_read

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_beat_checkpoints_the_chain_which_verify_audit_then_holds_it_to(celery_processes, settings):
    settings.AUDIT_CHECKPOINT_AFTER_WRITE = False  # only beat writes it here
    events = [audit_record(action=AuditAction.TOKEN_CREATED, actor=None, object_type="token", object_id=str(index))
              for index in range(3)]
    assert not settings.AUDIT_CHECKPOINT_PATH.exists()

    celery_processes.worker().wait_for_log(r"ready\.")
    celery_processes.beat()
    deadline = time.monotonic() + 60
    while not settings.AUDIT_CHECKPOINT_PATH.exists() and time.monotonic() < deadline:
        celery_processes.check_alive()
        time.sleep(0.2)

    checkpoint = audit_checkpoint_read()
    assert (checkpoint.count, checkpoint.last_event_id, checkpoint.last_hash) == (3, events[-1].pk, events[-1].hash)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith("Audit chain intact: 3 events (checkpoint at ")
