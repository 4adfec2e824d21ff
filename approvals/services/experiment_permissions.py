"""Per-experiment permission checks and grants (runs, logged models and run artifacts inherit them)."""
from django.contrib.auth.models import Group

from models_app.choices import AuditAction
from models_app.exceptions import InvalidParameter, PermissionDenied
from models_app.governance import ExperimentLevel
from models_app.models import Experiment
from models_app.services.audit import actor_display_name, audit_record

from ..models import ExperimentPermission
from ..selectors import default_experiment_level, experiment_level_of
from .permissions import grant_delete, grant_replace, principal_label, principal_of

EXPERIMENT_LEVEL_PURPOSE = {
    ExperimentLevel.READ: "reading it (its runs, metrics, logged models and artifacts)",
    ExperimentLevel.EDIT: "writing to it (runs, metrics, params, tags, logged models, artifacts)",
    ExperimentLevel.MANAGE: "managing it (delete, restore, permissions)",
}


def experiment_permission_require(*, actor, experiment: Experiment | None, level: ExperimentLevel,
                                  purpose: str = "") -> None:
    """Refuse with a message naming the experiment, the level held and the level needed.

    `experiment` None is creating one, which every signed-in user may do (and then manages it).
    """
    signed_in = getattr(actor, "is_authenticated", False)
    if experiment is None:
        if actor is None or signed_in:
            return
        raise PermissionDenied("An anonymous user cannot create experiments; sign in.")
    if signed_in and default_experiment_level() >= level:
        return  # grants only add to the default: no need to read them
    held = experiment_level_of(user=actor, experiment=experiment)
    if held >= level:
        return
    level = ExperimentLevel(level)
    who = f"User '{actor.get_username()}'" if signed_in else "An anonymous user"
    raise PermissionDenied(f"{who} has {held.name} on experiment '{experiment.name}' (id {experiment.pk}); "
                           f"{purpose or EXPERIMENT_LEVEL_PURPOSE[level]} needs {level.name}.")


def experiment_level_parse(level) -> ExperimentLevel:
    """An ExperimentLevel from its value or its name (e.g. 'EDIT')."""
    if isinstance(level, str) and level.strip().upper() in ExperimentLevel.names:
        return ExperimentLevel[level.strip().upper()]
    if isinstance(level, int) and not isinstance(level, bool) and level in ExperimentLevel.values:
        return ExperimentLevel(level)
    raise InvalidParameter(f"Invalid experiment permission level: {level!r}. "
                           f"Use one of {', '.join(ExperimentLevel.names)}.")


def experiment_permission_set(*, experiment: Experiment, level, actor, entry_point: str, user=None,
                              group: Group | None = None) -> ExperimentPermission:
    """Grant `level` on the experiment to a user or a group (replacing their previous grant); needs MANAGE."""
    principal = principal_of(user, group)
    level = experiment_level_parse(level)
    experiment_permission_require(actor=actor, experiment=experiment, level=ExperimentLevel.MANAGE,
                                  purpose="changing its permissions")
    return grant_replace(ExperimentPermission.objects, level=level, principal=principal,
                         scope={"experiment": experiment},
                         audit=_audit_for(experiment, actor, entry_point, principal_label(user, group)))


def experiment_permission_remove(*, experiment: Experiment, actor, entry_point: str, user=None,
                                 group: Group | None = None) -> None:
    principal = principal_of(user, group)
    experiment_permission_require(actor=actor, experiment=experiment, level=ExperimentLevel.MANAGE,
                                  purpose="changing its permissions")
    label = principal_label(user, group)
    grant_delete(ExperimentPermission.objects, principal=principal, scope={"experiment": experiment},
                 missing=f"No permission for {label} on experiment '{experiment.name}'.",
                 audit=_audit_for(experiment, actor, entry_point, label))


def _audit_for(experiment, actor, entry_point, principal):
    def audit(level, previous):
        _audit(experiment, actor=actor, entry_point=entry_point, principal=principal,
               level=ExperimentLevel(level).name if level is not None else None,
               previous=ExperimentLevel(previous).name if previous is not None else None)
    return audit


def experiment_permission_grant_creator(*, experiment: Experiment, actor, entry_point: str) -> None:
    """The user who creates an experiment manages it (inside the creating transaction)."""
    if not getattr(actor, "is_authenticated", False):
        return
    ExperimentPermission.objects.update_or_create(experiment=experiment, user=actor,
                                                  defaults={"level": ExperimentLevel.MANAGE})
    _audit(experiment, actor=actor, entry_point=entry_point, principal=principal_label(actor, None),
           level=ExperimentLevel.MANAGE.name, previous=None, reason="creator of the experiment")


def _audit(experiment, *, actor, entry_point, principal, level, previous, reason=""):
    details = {"experiment_id": str(experiment.pk), "experiment": experiment.name, "principal": principal,
               "level": level, "previous_level": previous, "granted_by": actor_display_name(actor)}
    if reason:
        details["reason"] = reason
    audit_record(action=AuditAction.PERMISSION_CHANGED, actor=actor, entry_point=entry_point,
                 object_type="experiment_permission", object_id=f"{experiment.pk}:{principal}", details=details)
