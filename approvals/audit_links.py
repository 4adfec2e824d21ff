"""The pages of the governance objects that audit events name (see models_app.audit_links)."""
from django.urls import reverse


def _validation_run(event) -> str:
    """The run on its version's Validation page (its number is in the event's details)."""
    version = (event.details or {}).get("version")
    page = reverse("approvals:version_validation", args=[event.registered_model_name, int(version)])
    return f"{page}#validation-run-{int(event.object_id)}"


_LINKS = {
    "review_request": lambda event: reverse("approvals:reviewrequest_detail", args=[int(event.object_id)]),
    "validation_run": _validation_run,
    # policies are managed in the admin (view only there: writes go through the audited services)
    "approval_policy": lambda event: reverse("admin:approvals_approvalpolicy_change", args=[int(event.object_id)]),
    "model_permission": lambda event: reverse("models_app:registeredmodel", args=[event.registered_model_name]),
}


def audit_object_url(event) -> str:
    """"" for kinds without a page; NoReverseMatch, TypeError or ValueError for ids no page takes."""
    link = _LINKS.get(event.object_type)
    return link(event) if link is not None else ""
