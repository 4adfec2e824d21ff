"""MLflow's search endpoints as selectors: filter, order and page experiments, runs, models and versions.

Each search parses the filter (models_app.search_filter), translates it per entity
(search_clauses), orders with the caller's order_by then MLflow's default order, and returns one
page of prefetched rows, so rendering a page costs a fixed number of queries.
"""
import base64
import binascii
import json
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from ..choices import LifecycleStage
from ..exceptions import InvalidParameter
from ..models import (
    ExperimentTag,
    LatestMetric,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelParam,
    LoggedModelTag,
    ModelVersion,
    ModelVersionTag,
    Param,
    RegisteredModelTag,
    Run,
    RunInput,
    RunTag,
)
from ..search_filter import Clause, parse_filter
from .registry import model_version_with_details, registered_model_with_details, registered_models_visible
from .search_clauses import (
    ID,
    NUMERIC,
    STAGE,
    STRING,
    Attribute,
    EntitySpec,
    KeyValueTable,
    clause_to_q,
    clauses_to_q,
    compare,
    ordered,
)
from .tracking import experiments_readable, in_readable_experiments, logged_model_with_details, run_with_details

MAX_RESULTS_DEFAULTS = {"experiments": 1000, "runs": 1000, "registered models": 100, "model versions": 10_000,
                        "logged models": 100, "evaluation datasets": 1000, "evaluation dataset records": 1000}
MAX_RESULTS_CAPS = {"experiments": 50_000, "runs": 50_000, "registered models": 1_000, "model versions": 200_000,
                    "logged models": 1_000, "evaluation datasets": 50_000, "evaluation dataset records": 10_000}
# MLflow's stores word a refused max_results differently per entity: (too small or not a number, too large).
_TRACKING_REFUSALS = ("Invalid value {value} for parameter 'max_results' supplied. It must be a positive integer",
                      "Invalid value {value} for parameter 'max_results' supplied. It must be at most {cap}")
_REGISTRY_REFUSALS = ("Invalid value for max_results. It must be a positive integer, but got {value}",
                      "Invalid value for request parameter max_results. It must be at most {cap}, "
                      "but got value {value}")
MAX_RESULTS_REFUSALS = {"experiments": _TRACKING_REFUSALS, "runs": _TRACKING_REFUSALS,
                        "logged models": _TRACKING_REFUSALS, "evaluation datasets": _TRACKING_REFUSALS,
                        "evaluation dataset records": _TRACKING_REFUSALS, "registered models": _REGISTRY_REFUSALS,
                        "model versions": _REGISTRY_REFUSALS}
_VIEW_TYPES = {
    "ACTIVE_ONLY": (LifecycleStage.ACTIVE,),
    "DELETED_ONLY": (LifecycleStage.DELETED,),
    "ALL": (LifecycleStage.ACTIVE, LifecycleStage.DELETED),
}
# MLflow's ViewType enum numbers, which proto-JSON clients may send instead of the names.
_VIEW_TYPE_NUMBERS = {1: "ACTIVE_ONLY", 2: "DELETED_ONLY", 3: "ALL"}
# The tag MLflow marks prompts with: registered models (and their versions) that are prompts, not models.
PROMPT_TAG = "mlflow.prompt.is_prompt"


@dataclass
class SearchPage:
    items: list
    next_page_token: str | None


EXPERIMENT_SPEC = EntitySpec(
    label="experiments",
    attributes={"name": Attribute("name"), "experiment_id": Attribute("pk", ID),
                "creation_time": Attribute("creation_time", NUMERIC),
                "last_update_time": Attribute("last_update_time", NUMERIC)},
    tables={"tag": KeyValueTable(ExperimentTag, "experiment", presence=True)},
    order_attributes={"name": "name", "experiment_id": "pk", "creation_time": "creation_time",
                      "last_update_time": "last_update_time"},
    default_order=(F("creation_time").desc(), F("pk").asc()),
)
_RUN_ORDER = {"run_id": "run_uuid", "run_name": "name", "status": "status", "user_id": "user_id",
              "start_time": "start_time", "end_time": "end_time", "artifact_uri": "artifact_uri",
              "lifecycle_stage": "lifecycle_stage", "experiment_id": "experiment_id"}
RUN_SPEC = EntitySpec(
    label="runs",
    attributes={**{key: Attribute(path) for key, path in _RUN_ORDER.items() if key != "experiment_id"},
                "start_time": Attribute("start_time", NUMERIC), "end_time": Attribute("end_time", NUMERIC)},
    tables={"metric": KeyValueTable(LatestMetric, "run", NUMERIC), "param": KeyValueTable(Param, "run", presence=True),
            "tag": KeyValueTable(RunTag, "run", presence=True)},
    datasets=KeyValueTable(RunInput, "run"),
    dataset_fields={"name": "dataset__name", "digest": "dataset__digest"},
    order_attributes=_RUN_ORDER,
    default_order=(F("start_time").desc(nulls_last=True), F("run_uuid").asc()),
)
REGISTERED_MODEL_SPEC = EntitySpec(
    label="registered models",
    attributes={"name": Attribute("name")},
    tables={"tag": KeyValueTable(RegisteredModelTag, "registered_model")},
    order_attributes={"name": "name", "creation_timestamp": "creation_timestamp",
                      "last_updated_timestamp": "last_updated_timestamp", "timestamp": "last_updated_timestamp"},
    default_order=(F("name").asc(),),
)
MODEL_VERSION_SPEC = EntitySpec(
    label="model versions",
    attributes={"name": Attribute("registered_model__name"), "version_number": Attribute("version", NUMERIC),
                "run_id": Attribute("run_id"), "source_path": Attribute("source"),
                # Our extension: real MLflow rejects current_stage, the seed workflows rely on it.
                "current_stage": Attribute("stage", STAGE)},
    tables={"tag": KeyValueTable(ModelVersionTag, "model_version")},
    order_attributes={"name": "registered_model__name", "version_number": "version",
                      "creation_timestamp": "creation_timestamp", "last_updated_timestamp": "last_updated_timestamp",
                      "timestamp": "last_updated_timestamp"},
    # protocol §7: the seed's search_model_versions(...)[-1] depends on exactly this order.
    default_order=(F("last_updated_timestamp").desc(), F("registered_model__name").asc(), F("version").desc()),
)
LOGGED_MODEL_SPEC = EntitySpec(
    label="logged models",
    attributes={"name": Attribute("name"), "status": Attribute("status"), "model_id": Attribute("model_id"),
                "source_run_id": Attribute("source_run_id"), "model_type": Attribute("model_type"),
                "creation_timestamp": Attribute("creation_timestamp_ms", NUMERIC),
                "creation_time": Attribute("creation_timestamp_ms", NUMERIC),
                "last_updated_timestamp": Attribute("last_updated_timestamp_ms", NUMERIC)},
    # MLflow sorts a logged model by the value of its most recent point of the metric.
    tables={"metric": KeyValueTable(LoggedModelMetric, "logged_model", NUMERIC, latest_first=("-timestamp", "-step")),
            # MLflow's logged-model search also takes IN / NOT IN lists on params and tags.
            "param": KeyValueTable(LoggedModelParam, "logged_model", STRING),
            "tag": KeyValueTable(LoggedModelTag, "logged_model", STRING)},
    order_attributes={"name": "name", "model_id": "model_id", "status": "status",
                      "creation_timestamp": "creation_timestamp_ms", "creation_time": "creation_timestamp_ms",
                      "last_updated_timestamp": "last_updated_timestamp_ms"},
    default_order=(F("creation_timestamp_ms").desc(), F("model_id").asc()),
)


def experiment_search(*, actor, filter_string="", view_type="ACTIVE_ONLY", max_results=1000, order_by=(),
                      page_token=None) -> SearchPage:
    limit, offset = _page_bounds(max_results, page_token, "experiments")
    queryset = experiments_readable(actor).filter(lifecycle_stage__in=_lifecycle_stages(view_type, "view_type"))
    queryset = _filtered(queryset, EXPERIMENT_SPEC, filter_string, order_by)
    return _page(queryset.prefetch_related("tags"), offset, limit)


def run_search(*, actor, experiment_ids, filter_string="", run_view_type="ACTIVE_ONLY", max_results=1000,
               order_by=(), page_token=None) -> SearchPage:
    """Runs of the experiments among `experiment_ids` that `actor` may read (the others are left out)."""
    limit, offset = _page_bounds(max_results, page_token, "runs")
    queryset = in_readable_experiments(Run.objects.filter(
        experiment_id__in=_experiment_ids(experiment_ids),
        lifecycle_stage__in=_lifecycle_stages(run_view_type, "run_view_type")), actor)
    queryset = _filtered(queryset, RUN_SPEC, filter_string, order_by)
    return _page(run_with_details(queryset), offset, limit)


def registered_model_search(*, filter_string="", max_results=100, order_by=(), page_token=None,
                            actor=None) -> SearchPage:
    limit, offset = _page_bounds(max_results, page_token, "registered models")
    prompts = RegisteredModelTag.objects.filter(registered_model=OuterRef("pk"), key=PROMPT_TAG, value="true")
    queryset = _filtered(registered_models_visible(actor), REGISTERED_MODEL_SPEC, filter_string, order_by,
                         prompts=prompts)
    return _page(registered_model_with_details(queryset), offset, limit)


def model_version_search(*, filter_string="", max_results=10000, order_by=(), page_token=None,
                         actor=None) -> SearchPage:
    limit, offset = _page_bounds(max_results, page_token, "model versions")
    queryset = ModelVersion.objects.filter(registered_model__in=registered_models_visible(actor))
    # MLflow leaves out every version of a model one of whose versions is tagged as a prompt.
    prompts = ModelVersionTag.objects.filter(model_version__registered_model=OuterRef("registered_model"),
                                             key=PROMPT_TAG, value="true")
    queryset = _filtered(queryset, MODEL_VERSION_SPEC, filter_string, order_by, prompts=prompts)
    return _page(model_version_with_details(queryset), offset, limit)


def logged_model_search(*, actor, experiment_ids, filter_string="", datasets=(), max_results=None, order_by=(),
                        page_token=None) -> SearchPage:
    """Logged models of the readable experiments among `experiment_ids`, as MLflow's logged-models/search finds,
    orders and pages them.

    `datasets` ([{"dataset_name", "dataset_digest"?}]) scopes the filter's metric clauses to points logged
    on those datasets, or, without metric clauses, keeps the models with any point on them. `order_by`
    entries are MLflow's {"field_name", "ascending", "dataset_name", "dataset_digest"} objects.
    """
    dataset_scope = _logged_model_datasets(datasets)
    order_by = [_logged_model_order_entry(entry) for entry in ([order_by] if isinstance(order_by, str | dict)
                                                                else order_by or ())]
    experiment_ids = [str(value) for value in ([experiment_ids] if isinstance(experiment_ids, str | int)
                                               else experiment_ids or ())]
    token_scope = {"experiment_ids": experiment_ids, "filter_string": filter_string or None,
                   "order_by": order_by or None}
    limit = _max_results(max_results or MAX_RESULTS_DEFAULTS["logged models"], "logged models")
    offset = _logged_model_token_decode(page_token, token_scope)
    condition, has_metric_clause = Q(), False
    for clause in parse_filter(filter_string):
        if clause.key_type == "metric":
            has_metric_clause = True
            points = LoggedModelMetric.objects.filter(logged_model=OuterRef("pk"), key=clause.key)
            points = points.filter(compare("value", NUMERIC, clause, f"metric '{clause.key}'"))
            condition &= Q(Exists(points.filter(dataset_scope) if dataset_scope else points))
        else:
            condition &= clause_to_q(LOGGED_MODEL_SPEC, clause)
    if dataset_scope and not has_metric_clause:
        condition &= Q(Exists(LoggedModelMetric.objects.filter(dataset_scope, logged_model=OuterRef("pk"))))
    queryset = in_readable_experiments(LoggedModel.objects.filter(
        condition, experiment_id__in=_experiment_ids(experiment_ids), lifecycle_stage=LifecycleStage.ACTIVE), actor)
    rows = list(logged_model_with_details(_logged_model_ordered(queryset, order_by))[offset:offset + limit + 1])
    token = None
    if len(rows) > limit:
        token = base64.b64encode(json.dumps({**token_scope, "offset": offset + limit}).encode()).decode()
    return SearchPage(items=rows[:limit], next_page_token=token)


# MLflow orders logged models by any column of its table, under these names or the aliases below.
_LOGGED_MODEL_COLUMNS = {"model_id": "model_id", "experiment_id": "experiment_id", "name": "name",
                         "artifact_location": "artifact_location", "creation_timestamp_ms": "creation_timestamp_ms",
                         "last_updated_timestamp_ms": "last_updated_timestamp_ms", "status": "status",
                         "lifecycle_stage": "lifecycle_stage", "model_type": "model_type",
                         "source_run_id": "source_run_id", "status_message": "status_message",
                         "creation_time": "creation_timestamp_ms", "creation_timestamp": "creation_timestamp_ms",
                         "last_updated_timestamp": "last_updated_timestamp_ms"}


def _logged_model_datasets(datasets) -> Q | None:
    if not datasets:
        return None
    if not isinstance(datasets, list | tuple) or not all(isinstance(d, dict) and d.get("dataset_name")
                                                         for d in datasets):
        raise InvalidParameter("`dataset_name` in the `datasets` clause must be specified.")
    scope = Q()
    for dataset in datasets:
        one = Q(dataset_name=str(dataset["dataset_name"]))
        if dataset.get("dataset_digest"):
            one &= Q(dataset_digest=str(dataset["dataset_digest"]))
        scope |= one
    return scope


def _logged_model_order_entry(entry) -> dict:
    if isinstance(entry, str):  # "<field> [ASC|DESC]", as the other searches take it
        words = entry.split()
        entry = {"field_name": words[0] if words else "",
                 "ascending": not (len(words) > 1 and words[-1].upper() == "DESC")}
    if not isinstance(entry, dict) or not isinstance(entry.get("field_name"), str) or not entry["field_name"]:
        raise InvalidParameter(f"Invalid order_by entry {entry!r}: 'field_name' is required.")
    ascending = entry.get("ascending", True)
    return {"field_name": entry["field_name"], "ascending": ascending if isinstance(ascending, bool) else True,
            "dataset_name": entry.get("dataset_name") or None, "dataset_digest": entry.get("dataset_digest") or None}


def _logged_model_ordered(queryset: QuerySet, order_by: list[dict]) -> QuerySet:
    expressions, paths = [], set()
    for entry in order_by:
        field_name = entry["field_name"]
        if "." not in field_name:
            path = _LOGGED_MODEL_COLUMNS.get(field_name)
            if path is None:
                raise InvalidParameter(f"Invalid order by field name: {field_name}")
            paths.add(path)
            expression = F(path)
        else:
            entity, key = field_name.split(".", 1)
            if entity != "metrics":
                raise InvalidParameter(f"Invalid order by field name: {field_name}. Only metrics are supported.")
            # The model's latest point of the metric (on the entry's dataset, if it names one).
            points = LoggedModelMetric.objects.filter(logged_model=OuterRef("pk"), key=key)
            if entry["dataset_name"]:
                points = points.filter(dataset_name=entry["dataset_name"])
            if entry["dataset_digest"]:
                points = points.filter(dataset_digest=entry["dataset_digest"])
            expression = Subquery(points.order_by("-timestamp", "-step", "run_id").values("value")[:1])
        expressions.append(expression.asc(nulls_last=True) if entry["ascending"]
                           else expression.desc(nulls_last=True))
    if "creation_timestamp_ms" not in paths:
        expressions.append(F("creation_timestamp_ms").desc())
    if "model_id" not in paths:
        expressions.append(F("model_id").asc())
    return queryset.order_by(*expressions)


def _logged_model_token_decode(token, scope: dict) -> int:
    """The offset in MLflow's logged-model page token, which also names the search it pages through."""
    if not token:
        return 0
    try:
        payload = json.loads(base64.b64decode(str(token), validate=True))
    except (binascii.Error, ValueError):
        payload = None
    offset = payload.get("offset") if isinstance(payload, dict) else None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidParameter(f"Invalid page token: {token}.")
    for field, what in (("experiment_ids", "Experiment IDs"), ("filter_string", "Filter string"),
                        ("order_by", "Order by")):
        if (payload.get(field) or None) != (scope[field] or None):
            raise InvalidParameter(f"{what} in the page token does not match the requested {what.lower()}. "
                                   f"Expected: {scope[field]}. Found: {payload.get(field)}")
    return offset


def _filtered(queryset: QuerySet, spec: EntitySpec, filter_string, order_by, *, prompts=None) -> QuerySet:
    """Rows matching the filter, in order. With `prompts` (the tag rows marking a row as a prompt), prompts are
    left out unless the filter asks for them, as MLflow's registry searches do."""
    # Parse and check everything before any query runs, so bad input never costs a round trip.
    clauses = parse_filter(filter_string)
    condition = clauses_to_q(spec, clauses)
    if prompts is not None and not _asks_for_prompts(clauses):
        # The client adds tags.`mlflow.prompt.is_prompt` != 'true' to every search; ordinary models have no such
        # tag, so that clause is read as "not a prompt" (an anti-join), never as a condition on the tag's value.
        others = [clause for clause in clauses if not _is_prompt_clause(clause)]
        condition = clauses_to_q(spec, others) & ~Exists(prompts)
    return ordered(queryset.filter(condition), spec, order_by)


def _is_prompt_clause(clause: Clause) -> bool:
    return clause.key_type == "tag" and clause.key == PROMPT_TAG


def _asks_for_prompts(clauses: list[Clause]) -> bool:
    # MLflow decides on the first clause about the prompt tag: `= 'true'` or `!= 'false'` asks for prompts.
    for clause in filter(_is_prompt_clause, clauses):
        value = clause.value.lower() if isinstance(clause.value, str) else clause.value
        return (clause.comparator, value) in (("=", "true"), ("!=", "false"))
    return False


def _page(queryset: QuerySet, offset: int, limit: int) -> SearchPage:
    # One row beyond the page tells whether another page exists without a COUNT query.
    rows = list(queryset[offset:offset + limit + 1])
    token = page_token_encode(offset + limit) if len(rows) > limit else None
    return SearchPage(items=rows[:limit], next_page_token=token)


def _page_bounds(max_results, page_token, what: str) -> tuple[int, int]:
    # None (a request without max_results) means MLflow's default for the entity.
    max_results = MAX_RESULTS_DEFAULTS[what] if max_results is None else max_results
    return _max_results(max_results, what), page_token_decode(page_token)


def _max_results(value, what: str) -> int:
    cap, (too_small, too_large) = MAX_RESULTS_CAPS[what], MAX_RESULTS_REFUSALS[what]
    try:
        number = int(value) if not isinstance(value, bool | float) else None
    except (TypeError, ValueError):
        number = None
    # A huge value is shown cut short, never echoed whole.
    shown = value if len(str(value)) <= 40 else f"{str(value)[:40]}…"
    if number is None or number < 1:
        raise InvalidParameter(too_small.format(value=shown))
    if number > cap:
        raise InvalidParameter(too_large.format(value=shown, cap=cap))
    return number


def page_token_encode(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def page_token_decode(token) -> int:
    """The offset a page token stands for; no token means the first page."""
    if not token:
        return 0
    try:
        payload = json.loads(base64.b64decode(str(token), validate=True))
        offset = payload["offset"] if isinstance(payload, dict) else None
    except (binascii.Error, ValueError, KeyError):
        offset = None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidParameter(f"Invalid page token '{token}': it is not a token this server handed out.")
    return offset


def _lifecycle_stages(view_type, parameter: str) -> tuple[str, ...]:
    name = _VIEW_TYPE_NUMBERS.get(view_type, view_type) if not isinstance(view_type, bool) else view_type
    stages = _VIEW_TYPES.get(str(name or "ACTIVE_ONLY").upper())
    if stages is None:
        raise InvalidParameter(f"Invalid value '{view_type}' for parameter '{parameter}'. "
                               f"Value must be one of {', '.join(_VIEW_TYPES)}.")
    return stages


def _experiment_ids(experiment_ids) -> list[int]:
    if isinstance(experiment_ids, str | int):
        experiment_ids = [experiment_ids]
    ids = []
    for value in experiment_ids or ():
        try:
            ids.append(int(str(value)))
        except ValueError:
            raise InvalidParameter(f"Invalid experiment id '{value}': experiment ids are integers.") from None
    return ids
