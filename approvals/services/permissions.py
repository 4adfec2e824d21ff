"""Per-model permission checks and grants."""
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.db.models import QuerySet

from models_app.choices import AuditAction
from models_app.exceptions import InvalidParameter, NotFound, PermissionDenied
from models_app.governance import PermissionLevel
from models_app.models import RegisteredModel
from models_app.services.audit import actor_display_name, audit_record

from ..models import ModelPermission
from ..selectors import default_permission_level, permission_level_of

# What each level is needed for, for refusal messages that say what was attempted.
LEVEL_PURPOSE = {
    PermissionLevel.CAN_READ: "reading it",
    PermissionLevel.CAN_EDIT: "editing it (versions, descriptions, tags, aliases)",
    PermissionLevel.CAN_MANAGE_STAGING_VERSIONS: "moving a version into or out of Staging",
    PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS: "moving a version into or out of Production",
    PermissionLevel.CAN_MANAGE: "managing it (rename, delete, permissions, policies)",
}


def permission_require(*, actor, registered_model: RegisteredModel | None, level: PermissionLevel,
                       purpose: str = "") -> None:
    """Refuse with a message naming the model, the level held and the level needed."""
    signed_in = getattr(actor, "is_authenticated", False)
    if signed_in and (registered_model is None or default_permission_level() >= level):
        return  # any signed-in user may create a model (and manages it); grants only add to the default
    held = permission_level_of(user=actor, registered_model=registered_model)
    if held >= level:
        return
    level = PermissionLevel(level)
    who = f"User '{actor.get_username()}'" if getattr(actor, "is_authenticated", False) else "An anonymous user"
    if registered_model is None:
        raise PermissionDenied(f"{who} has {held.name} by default; creating a registered model needs {level.name}.")
    purpose = purpose or LEVEL_PURPOSE[level]
    raise PermissionDenied(
        f"{who} has {held.name} on model '{registered_model.name}'; {purpose} needs {level.name}."
    )


def permission_level_parse(level) -> PermissionLevel:
    """A PermissionLevel from its value or its name (e.g. 'CAN_READ')."""
    if isinstance(level, str) and level.strip().upper() in PermissionLevel.names:
        return PermissionLevel[level.strip().upper()]
    if isinstance(level, int) and level in PermissionLevel.values:
        return PermissionLevel(level)
    raise InvalidParameter(f"Invalid permission level: {level!r}. Use one of {', '.join(PermissionLevel.names)}.")


def principal_of(user, group) -> dict:
    if (user is None) == (group is None):
        raise InvalidParameter("Grant a permission to exactly one of 'user' or 'group'.")
    return {"user": user} if user is not None else {"group": group}


def principal_label(user, group) -> str:
    return f"user:{user.get_username()}" if user is not None else f"group:{group.name}"


def grant_replace(grants: QuerySet, *, level: int, principal: dict, scope: dict, audit) -> models.Model:
    """Give `principal` `level` in `scope` (replacing their grant) and audit it with the level it had, if any.

    Shared by per-model and per-experiment grants; `audit(level_value, previous_value)` records the change."""
    with transaction.atomic():
        previous = grants.select_for_update().filter(**scope, **principal).first()
        grant, _ = grants.update_or_create(**scope, **principal, defaults={"level": level})
        audit(level, previous.level if previous else None)
    return grant


def grant_delete(grants: QuerySet, *, principal: dict, scope: dict, missing: str, audit) -> None:
    """Remove `principal`'s grant in `scope` (NotFound with `missing` if none) and audit it."""
    with transaction.atomic():
        grant = grants.select_for_update().filter(**scope, **principal).first()
        if grant is None:
            raise NotFound(missing)
        grant.delete()
        audit(None, grant.level)


def permission_set(*, registered_model: RegisteredModel, level, actor, entry_point: str, user=None,
                   group: Group | None = None) -> ModelPermission:
    """Grant `level` on the model to a user or a group (replacing their previous grant); needs CAN_MANAGE."""
    principal = principal_of(user, group)
    level = permission_level_parse(level)
    permission_require(actor=actor, registered_model=registered_model, level=PermissionLevel.CAN_MANAGE,
                       purpose="changing its permissions")
    return grant_replace(ModelPermission.objects, level=level, principal=principal,
                         scope={"registered_model": registered_model},
                         audit=_audit_for(registered_model, actor, entry_point, principal_label(user, group)))


def permission_remove(*, registered_model: RegisteredModel, actor, entry_point: str, user=None,
                      group: Group | None = None) -> None:
    principal = principal_of(user, group)
    permission_require(actor=actor, registered_model=registered_model, level=PermissionLevel.CAN_MANAGE,
                       purpose="changing its permissions")
    label = principal_label(user, group)
    grant_delete(ModelPermission.objects, principal=principal, scope={"registered_model": registered_model},
                 missing=f"No permission for {label} on model '{registered_model.name}'.",
                 audit=_audit_for(registered_model, actor, entry_point, label))


def _audit_for(registered_model, actor, entry_point, principal):
    def audit(level, previous):
        _audit(registered_model, actor=actor, entry_point=entry_point, principal=principal,
               level=PermissionLevel(level).name if level is not None else None,
               previous=PermissionLevel(previous).name if previous is not None else None)
    return audit


def permission_grant_creator(*, registered_model: RegisteredModel, actor, entry_point: str) -> None:
    """The user who creates a model manages it (inside the creating transaction)."""
    if not getattr(actor, "is_authenticated", False):
        return
    ModelPermission.objects.create(registered_model=registered_model, user=actor, level=PermissionLevel.CAN_MANAGE)
    _audit(registered_model, actor=actor, entry_point=entry_point, principal=principal_label(actor, None),
           level=PermissionLevel.CAN_MANAGE.name, previous=None, reason="creator of the model")


def _audit(registered_model, *, actor, entry_point, principal, level, previous, reason=""):
    details = {"principal": principal, "level": level, "previous_level": previous,
               "granted_by": actor_display_name(actor)}
    if reason:
        details["reason"] = reason
    audit_record(action=AuditAction.PERMISSION_CHANGED, actor=actor, entry_point=entry_point,
                 object_type="model_permission", object_id=f"{registered_model.name}:{principal}",
                 registered_model_name=registered_model.name, details=details)
