"""E-mail notifications: approvers when a request awaits them, requesters when theirs is decided or validated.

The audit service tells the approvals app about every recorded event inside its transaction; the e-mails are
sent once it commits (a rolled-back decision e-mails nobody), through Django's e-mail backend (console in
`make run`). Recipients who turned e-mails off, or have no address, are skipped; a failing mail server never
fails the change.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q

from models_app.choices import AuditAction
from models_app.models import AuditEvent

logger = logging.getLogger(__name__)

_DECISIONS = {AuditAction.REVIEW_APPROVED: "approved", AuditAction.REVIEW_REJECTED: "rejected",
              AuditAction.REVIEW_CANCELLED: "cancelled", AuditAction.REVIEW_APPLIED: "applied"}


def notifications_for(event: AuditEvent) -> None:
    """Queue the e-mails a recorded event calls for, to go out once its transaction commits."""
    if event.action == AuditAction.REVIEW_REQUESTED:
        request_id = int(event.object_id)
        transaction.on_commit(lambda: _send(_awaiting_messages(request_id)), robust=True)
    elif event.action in _DECISIONS:
        request_id, decision, actor_id = int(event.object_id), _DECISIONS[event.action], event.actor_id
        transaction.on_commit(lambda: _send(_decided_messages(request_id, decision, actor_id)), robust=True)
    elif event.action == AuditAction.VALIDATION_FINISHED:
        run_id = int(event.object_id)
        transaction.on_commit(lambda: _send(_validated_messages(run_id)), robust=True)


def _link(path: str) -> str:
    return f"{settings.REGISTRY_BASE_URL}{path}"


def _wants_email(users):
    """The users among `users` with an address who did not turn e-mails off."""
    return [user for user in users if user.email and getattr(
        getattr(user, "notification_preference", None), "email_enabled", True)]


def request_approvers(request) -> list:
    """Who may decide `request`: the policy's approver group (or holders of grants on the model when it names
    none), holding the level the change needs, not the requester unless the policy allows self-approval."""
    from .selectors import permission_level_of
    from .services.review_requests import approval_level_for

    users = get_user_model().objects.filter(is_active=True).select_related("notification_preference")
    group_id = request.policy_snapshot.get("approver_group_id")
    if group_id:
        users = users.filter(groups__pk=group_id)
    else:
        users = users.filter(Q(model_permissions__registered_model=request.registered_model)
                             | Q(groups__model_permissions__registered_model=request.registered_model))
    if not request.policy_snapshot.get("allow_self_approval"):
        users = users.exclude(pk=request.requester_id)
    level = approval_level_for(request)
    return [user for user in users.distinct()
            if permission_level_of(user=user, registered_model=request.registered_model) >= level]


def _awaiting_messages(request_id: int) -> list[tuple]:
    from .models import ReviewRequest

    request = ReviewRequest.objects.select_related("registered_model").filter(pk=request_id).first()
    if request is None:
        return []
    subject = f"Review requested: {request.registered_model.name} {request.target_label}"
    body = (f"{request.requester_name} asks for {request.target_label} of model '{request.registered_model.name}'"
            f".\n\n{request.comment}\n\nReview it: {_link(f'/approvals/requests/{request.pk}/')}\n"
            f"All that awaits you: {_link('/approvals/')}\n")
    return [(subject, body, user.email) for user in _wants_email(request_approvers(request))]


def _decided_messages(request_id: int, decision: str, actor_id: int | None) -> list[tuple]:
    from .models import ReviewRequest

    request = ReviewRequest.objects.select_related("registered_model", "requester").filter(pk=request_id).first()
    if request is None or request.requester is None or request.requester_id == actor_id and decision != "applied":
        return []  # gone (a deleted model's request), or the requester's own act (cancelling it)
    subject = f"Your request was {decision}: {request.registered_model.name} {request.target_label}"
    body = (f"Your review request #{request.pk} ({request.target_label} of model "
            f"'{request.registered_model.name}') was {decision}.\n\n{_link(f'/approvals/requests/{request.pk}/')}\n")
    return [(subject, body, user.email) for user in _wants_email([request.requester])]


def _validated_messages(run_id: int) -> list[tuple]:
    from .models import ValidationRun

    run = ValidationRun.objects.select_related("registered_model", "requested_by", "review_request__requester").filter(
        pk=run_id).first()
    if run is None:
        return []
    requester = run.review_request.requester if run.review_request_id else run.requested_by
    if requester is None:
        return []
    model = run.registered_model.name
    subject = f"Validation {run.status.lower()}: {model} version {run.version_number}"
    where = f"/approvals/requests/{run.review_request_id}/" if run.review_request_id else \
        f"/approvals/models/{model}/versions/{run.version_number}/validation/"
    body = f"Validation run #{run.pk} of version {run.version_number} of '{model}': {run.status}.\n{run.summary}\n\n" \
           f"{_link(where)}\n"
    return [(subject, body, user.email) for user in _wants_email([requester])]


def _send(messages: list[tuple]) -> int:
    if not messages:
        return 0
    sender = settings.REGISTRY_NOTIFICATION_FROM_EMAIL
    try:
        return send_mass_mail([(subject, body, sender, [to]) for subject, body, to in messages], fail_silently=False)
    except Exception as error:  # SMTP servers fail in many ways; the change has committed and stays
        logger.warning("Notification e-mails not sent (%s): %s", error, [to for *_, to in messages])
        return 0


def notification_preference_set(*, user, email_enabled: bool):
    from .notification_models import NotificationPreference

    preference, _ = NotificationPreference.objects.update_or_create(user=user,
                                                                     defaults={"email_enabled": bool(email_enabled)})
    return preference
