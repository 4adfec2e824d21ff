"""Reads of registered models, versions, aliases and their history."""
from datetime import datetime

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from ..choices import Stage
from ..exceptions import InvalidParameter, NotFound
from ..governance import current_governance
from ..models import (
    AliasTransition,
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
    StageTransition,
)
from ..services.stages import stage_parse, version_number_parse


def registered_models_visible(actor) -> QuerySet[RegisteredModel]:
    """Models `actor` may read (all of them until governance says otherwise)."""
    queryset = RegisteredModel.objects.all()
    condition = current_governance().readable_models_filter(actor)
    return queryset.filter(condition) if condition is not None else queryset


def registered_model_get(*, name: str, actor=None) -> RegisteredModel:
    if not name:
        raise InvalidParameter("Missing value for required parameter 'name'.")
    model = registered_models_visible(actor).filter(name=name).first()
    if model is None:
        raise NotFound(f"Registered Model with name={name} not found")
    return model


def registered_model_with_details(queryset: QuerySet[RegisteredModel]) -> QuerySet[RegisteredModel]:
    """Prefetch what the MLflow and native representations read: tags, aliases, latest versions."""
    return queryset.prefetch_related(
        Prefetch("tags", queryset=RegisteredModelTag.objects.order_by("id")),
        Prefetch("aliases", queryset=RegisteredModelAlias.objects.select_related("model_version").order_by("alias")),
        Prefetch("versions", queryset=model_version_with_details(ModelVersion.objects.all()).order_by("-version"),
                 to_attr="all_versions"),
    )


def model_version_with_details(queryset: QuerySet[ModelVersion]) -> QuerySet[ModelVersion]:
    return queryset.select_related("registered_model").prefetch_related(
        Prefetch("tags", queryset=ModelVersionTag.objects.order_by("id")),
        Prefetch("aliases", queryset=RegisteredModelAlias.objects.order_by("alias")),
    )


def latest_versions_per_stage(versions: list[ModelVersion], stages: list[str] | None = None) -> list[ModelVersion]:
    """The highest version in each stage present (or in each of `stages`), from already-fetched versions."""
    wanted = {stage_parse(stage) for stage in stages} if stages else None
    best: dict[str, ModelVersion] = {}
    for version in versions:
        if wanted is not None and version.stage not in wanted:
            continue
        if version.stage not in best or version.version > best[version.stage].version:
            best[version.stage] = version
    return sorted(best.values(), key=lambda v: v.version)


def deployment_job_states(versions) -> dict[int, dict]:
    """{version pk: its MLflow deployment_job_state message} from governance, in a fixed number of queries."""
    states = current_governance().deployment_job_states(list(versions))
    return {pk: state.as_json() for pk, state in states.items()}


def deployment_job_ids(registered_models) -> dict[int, str]:
    """{model pk: its MLflow deployment_job_id} from governance (the policy governing it)."""
    return current_governance().deployment_job_ids(list(registered_models))


def model_version_get(*, name: str, version, actor=None) -> ModelVersion:
    """One version by number; a stage name as the version answers the latest version in that stage."""
    model = registered_model_get(name=name, actor=actor)
    versions = model_version_with_details(ModelVersion.objects.filter(registered_model=model))
    stage = Stage.canonical(str(version)) if not str(version).strip().isdigit() else None
    if stage is not None:
        found = versions.filter(stage=stage).order_by("-version").first()
        if found is None:
            raise NotFound(f"No version of model '{name}' is in stage {stage.value}.")
        return found
    number = version_number_parse(version)
    found = versions.filter(version=number).first()
    if found is None:
        raise NotFound(f"Model Version (name={name}, version={number}) not found")
    return found


def model_version_by_alias(*, name: str, alias: str, actor=None) -> ModelVersion:
    model = registered_model_get(name=name, actor=actor)
    record = RegisteredModelAlias.objects.filter(registered_model=model, alias=alias).first()
    if record is None:
        # MLflow answers an unknown alias with INVALID_PARAMETER_VALUE, not a 404.
        raise InvalidParameter(f"Registered model alias {alias} not found.")
    return model_version_with_details(ModelVersion.objects.filter(pk=record.model_version_id)).get()


def stage_occupants_at(*, registered_model: RegisteredModel, stage: str, at: datetime) -> list[int]:
    """Version numbers that were in `stage` at time `at`, from the transition history."""
    target = stage_parse(stage)
    transitions = StageTransition.objects.filter(registered_model=registered_model, created_at__lte=at)
    last_move = transitions.filter(version=OuterRef("version")).order_by("-created_at", "-id").values("id")[:1]
    rows = transitions.filter(id=Subquery(last_move), to_stage=target).values_list("version", flat=True)
    return sorted(set(rows))


def alias_target_at(*, registered_model: RegisteredModel, alias: str, at: datetime) -> int | None:
    """The version number `alias` pointed to at time `at`, or None."""
    move = (
        AliasTransition.objects.filter(registered_model=registered_model, alias=alias, created_at__lte=at)
        .order_by("-created_at", "-id")
        .first()
    )
    return move.to_version if move else None


def stage_history(*, registered_model: RegisteredModel, version: int | None = None) -> QuerySet[StageTransition]:
    transitions = StageTransition.objects.filter(registered_model=registered_model)
    return transitions.filter(version=version) if version is not None else transitions


def alias_history(*, registered_model: RegisteredModel, version: int | None = None) -> QuerySet[AliasTransition]:
    moves = AliasTransition.objects.filter(registered_model=registered_model)
    if version is not None:
        moves = moves.filter(Q(from_version=version) | Q(to_version=version))
    return moves
