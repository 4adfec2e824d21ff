"""Where an audit event's object is shown: the registry's own objects here, governance objects through the hook.

Computed from the event's columns alone (no query per row). An object deleted since gets a link to its 404 page,
as a bookmark would; kinds without a page (API tokens) get none.
"""
from collections.abc import Callable

from django.urls import NoReverseMatch, reverse

from .governance import current_governance
from .models import AuditEvent


def _model(event: AuditEvent) -> str:
    return reverse("models_app:registeredmodel", args=[event.registered_model_name or event.object_id])


def _version(event: AuditEvent) -> str:
    name, _, number = event.object_id.rpartition("/")  # "<model>/<version>"; model names hold no "/"
    return reverse("models_app:modelversion", args=[name, int(number)])


def _alias(event: AuditEvent) -> str:
    return reverse("models_app:registeredmodel", args=[event.object_id.rpartition("@")[0]])


_LINKS: dict[str, Callable[[AuditEvent], str]] = {
    "registered_model": _model,
    "model_version": _version,
    "alias": _alias,
    "run": lambda event: reverse("models_app:run", args=[event.object_id]),
    "experiment": lambda event: reverse("models_app:experiment", args=[int(event.object_id)]),
}


def audit_object_url(event: AuditEvent) -> str:
    """The page of the event's object, or "" when it has none."""
    link = _LINKS.get(event.object_type)
    try:
        return link(event) if link is not None else current_governance().audit_object_url(event)
    except (NoReverseMatch, TypeError, ValueError):  # an id recorded in a shape that no page takes
        return ""
