from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from models_app.models import AuditEvent

pytestmark = pytest.mark.django_db


def _verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_it_reports_an_intact_chain_with_its_length(audited_history):
    assert _verify().strip() == f"Audit chain intact: {AuditEvent.objects.count()} events"
    assert AuditEvent.objects.count() == 6


def test_it_reports_an_empty_chain_as_intact():
    assert _verify().strip() == "Audit chain intact: 0 events"


def test_it_names_an_event_whose_details_were_edited(audited_history):
    edited = AuditEvent.objects.order_by("id")[2]
    AuditEvent.objects.filter(pk=edited.pk).update(details={"key": "team", "value": "forged"})

    with pytest.raises(CommandError, match=rf"event #{edited.pk} \({edited.action}\): its content was edited"):
        _verify()


def test_it_names_the_event_after_a_deleted_middle_event(audited_history):
    events = list(AuditEvent.objects.order_by("id"))
    events[1].delete()

    with pytest.raises(CommandError, match=rf"event #{events[2].pk} \({events[2].action}\).*deleted or changed"):
        _verify()


def test_it_detects_a_deleted_last_event(audited_history):
    AuditEvent.objects.order_by("-id").first().delete()

    with pytest.raises(CommandError, match="ends at 5 events, but 6 were recorded"):
        _verify()


def test_it_fails_with_a_non_zero_exit_code(audited_history):
    first = AuditEvent.objects.order_by("id").first()
    AuditEvent.objects.filter(pk=first.pk).update(actor_name="mallory")

    with pytest.raises(CommandError) as error:
        _verify()
    # manage.py turns a CommandError into this exit code, with the message on stderr.
    assert error.value.returncode != 0
    assert f"event #{first.pk}" in str(error.value)
