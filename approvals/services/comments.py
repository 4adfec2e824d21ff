"""Comments on model versions: anyone who can read the model comments; only the author edits or deletes.

A new comment is audited (and so raises the `model_version_comment.created` webhook event, COMMENT_CREATED in
the Databricks format).
"""
from django.db import transaction

from models_app.choices import AuditAction
from models_app.exceptions import NotFound, PermissionDenied
from models_app.governance import PermissionLevel
from models_app.models import ModelVersion
from models_app.services.audit import actor_display_name, audit_record
from models_app.services.common import require_text, user_or_none

from ..comment_models import VersionComment
from ..selectors import permission_level_of
from .permissions import permission_require


def version_comment_create(*, version: ModelVersion, comment, actor, entry_point: str) -> VersionComment:
    model = version.registered_model
    permission_require(actor=actor, registered_model=model, level=PermissionLevel.CAN_READ, purpose="commenting")
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Comments must come from a signed-in user.")
    text = require_text(comment, "comment")
    with transaction.atomic():
        created = VersionComment.objects.create(model_version=version, user=user_or_none(actor),
                                                user_name=actor_display_name(actor), comment=text)
        audit_record(action=AuditAction.VERSION_COMMENT_CREATED, actor=actor, entry_point=entry_point,
                     object_type="version_comment", object_id=str(created.pk), registered_model_name=model.name,
                     details={"version": version.version, "comment": text})
    return created


def version_comment_own(*, comment_id, actor) -> VersionComment:
    """The actor's own comment, on a model they can still read (anyone else's is answered as not found)."""
    found = (VersionComment.objects.select_related("model_version__registered_model")
             .filter(pk=comment_id if str(comment_id).isdigit() else 0).first())
    if (found is None or not getattr(actor, "is_authenticated", False) or found.user_id != actor.pk
            or permission_level_of(user=actor, registered_model=found.model_version.registered_model)
            < PermissionLevel.CAN_READ):
        raise NotFound(f"Comment {comment_id} does not exist or is not yours.")
    return found


def version_comment_update(*, comment: VersionComment, text, actor) -> VersionComment:
    comment.comment = require_text(text, "comment")
    comment.save(update_fields=["comment", "updated_at"])
    return comment


def version_comment_delete(*, comment: VersionComment, actor) -> None:
    comment.delete()
