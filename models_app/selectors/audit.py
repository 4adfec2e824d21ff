"""Reads of the audit log."""
from datetime import datetime

from django.db.models import QuerySet

from ..models import AuditEvent


def audit_events_filtered(
    *, model: str = "", actor: str = "", action: str = "", since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if model:
        events = events.filter(registered_model_name=model)
    if actor:
        events = events.filter(actor_name=actor)
    if action:
        events = events.filter(action=action)
    if since:
        events = events.filter(created_at__gte=since)
    if until:
        events = events.filter(created_at__lte=until)
    return events
