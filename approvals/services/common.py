"""Helpers shared by the approvals services and the gate."""
from django.utils import timezone

from models_app.choices import AuditAction
from models_app.exceptions import PermissionDenied
from models_app.services.audit import audit_record

from ..choices import ReviewRequestStatus
from ..models import ReviewRequest
from ..selectors import is_governance_admin


def governance_admin_require(actor, what: str) -> None:
    """Policies and validation datasets: governance admins only (None is the system: seed_demo, migrations)."""
    if actor is not None and not is_governance_admin(actor):
        who = f"User '{actor.get_username()}'" if getattr(actor, "is_authenticated", False) else "An anonymous user"
        raise PermissionDenied(f"{who} is not a governance admin; only governance admins can {what}.")


def review_request_audit(request: ReviewRequest, action: str, *, actor, entry_point: str, **details) -> None:
    model_name = request.registered_model.name
    audit_record(
        action=action, actor=actor, entry_point=entry_point, object_type="review_request", object_id=str(request.pk),
        registered_model_name=model_name,
        details={"version": request.version_number, "target": request.target_label, "status": request.status,
                 "policy": request.policy_snapshot.get("name"), "content_hash": request.content_hash, **details},
    )


def review_request_supersede(request: ReviewRequest, *, reason: str, actor, entry_point: str) -> None:
    """Close a stale open request (the caller holds its row lock or runs inside the change that made it stale)."""
    request.status = ReviewRequestStatus.SUPERSEDED
    request.status_message = reason
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "status_message", "decided_at"])
    review_request_audit(request, AuditAction.REVIEW_SUPERSEDED, actor=actor, entry_point=entry_point, reason=reason)
