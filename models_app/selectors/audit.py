"""Reads of the audit log, limited to events about what the viewer may read."""
from datetime import datetime

from django.db.models import CharField, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from ..governance import current_governance
from ..models import AuditEvent
from .registry import registered_models_visible
from .tracking import experiments_readable

# Events about an experiment or what inherits its permission name it as object_id or details.experiment_id.
EXPERIMENT_OBJECT_TYPES = ("experiment",)
EXPERIMENT_DETAIL_OBJECT_TYPES = ("run", "experiment_permission")


def audit_events_visible(viewer) -> QuerySet[AuditEvent]:
    """Governance admins see every event. Others see events about objects they may read, in one query: model,
    version, alias and review-request events by the model's readability (by its name, so events of a deleted
    model are the admins' only), experiment and run events by the experiment's, and their own token events.
    Registry-wide events (policies, datasets, other people's tokens) are the admins' only."""
    if current_governance().sees_whole_audit_log(viewer):
        return AuditEvent.objects.all()
    experiment_ids = experiments_readable(viewer).annotate(key=Cast("pk", CharField())).values("key")
    model_names = registered_models_visible(viewer).values("name")
    condition = (
        (~Q(registered_model_name="") & Q(registered_model_name__in=model_names))
        | Q(object_type__in=EXPERIMENT_OBJECT_TYPES, object_id__in=experiment_ids)
        | Q(object_type__in=EXPERIMENT_DETAIL_OBJECT_TYPES, experiment_key__in=experiment_ids)
    )
    if getattr(viewer, "is_authenticated", False):
        condition |= Q(object_type="api_token", actor=viewer)
    return AuditEvent.objects.annotate(experiment_key=KeyTextTransform("experiment_id", "details")).filter(condition)


def audit_events_filtered(
    *, viewer, model: str = "", actor: str = "", action: str = "", since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    events = audit_events_visible(viewer)
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
