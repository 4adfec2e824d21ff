"""Reads of MLflow 3 evaluation datasets: one by id, search, record pages, the experiments they belong to.

Access: a dataset inherits the access of the experiments it is associated with. `evaluation_dataset_access`
is the one place that decides it, for reads and writes alike.
"""
import base64
import binascii

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from ..exceptions import InvalidParameter, NotFound, PermissionDenied, Unauthenticated
from ..governance import ExperimentLevel, current_governance
from ..models import EvaluationDataset, EvaluationDatasetRecord, EvaluationDatasetTag
from ..search_filter import parse_filter
from .search import (
    MAX_RESULTS_DEFAULTS,
    SearchPage,
    _experiment_ids,
    _max_results,
    page_token_decode,
    page_token_encode,
)
from .search_clauses import NUMERIC, Attribute, EntitySpec, KeyValueTable, clauses_to_q, ordered
from .tracking import experiments_readable

EVALUATION_DATASET_SPEC = EntitySpec(
    label="evaluation datasets",
    attributes={"name": Attribute("name"), "created_by": Attribute("created_by"),
                "last_updated_by": Attribute("last_updated_by"),
                "created_time": Attribute("created_time", NUMERIC),
                "last_update_time": Attribute("last_update_time", NUMERIC)},
    tables={"tag": KeyValueTable(EvaluationDatasetTag, "dataset")},
    order_attributes={"name": "name", "created_time": "created_time", "last_update_time": "last_update_time"},
    # MLflow's default: newest first; the id breaks ties (descending, as MLflow's).
    default_order=(F("created_time").desc(), F("dataset_id").desc()),
)


def evaluation_dataset_access(*, actor) -> Q:
    """Which datasets `actor` may read, as a condition on EvaluationDataset: their own, and those associated with
    an experiment `actor` may read (one subquery)."""
    if not getattr(actor, "is_authenticated", False):
        raise Unauthenticated("Evaluation datasets need a signed-in account: send an API token or Basic credentials.")
    links = EvaluationDataset.experiments.through.objects.filter(
        evaluationdataset_id=OuterRef("pk"), experiment__in=experiments_readable(actor))
    return Q(owner=actor) | Q(Exists(links))


def _may_write(dataset: EvaluationDataset, actor) -> bool:
    """Its owner, or whoever may edit one of its experiments (writes to a dataset are writes to their evidence)."""
    if dataset.owner_id == actor.pk:
        return True
    governance = current_governance()
    for experiment in dataset.experiments.all():
        try:
            governance.authorize_experiment(actor=actor, experiment=experiment, level=ExperimentLevel.EDIT)
        except PermissionDenied:
            continue
        return True
    return False


def _datasets(actor) -> QuerySet[EvaluationDataset]:
    return EvaluationDataset.objects.filter(evaluation_dataset_access(actor=actor)).prefetch_related(
        Prefetch("tags", queryset=EvaluationDatasetTag.objects.order_by("key")))


def _writable(dataset: EvaluationDataset | None, actor, write: bool) -> EvaluationDataset | None:
    if dataset is not None and write and not _may_write(dataset, actor):
        raise PermissionDenied(f"Changing evaluation dataset '{dataset.pk}' needs EDIT on one of its experiments.")
    return dataset


def evaluation_dataset_get(*, dataset_id: str, actor, write: bool = False) -> EvaluationDataset:
    dataset = _writable(_datasets(actor).filter(pk=dataset_id).first(), actor, write)
    if dataset is None:
        raise NotFound(f"Evaluation dataset with id '{dataset_id}' not found")
    return dataset


def evaluation_dataset_find(*, dataset_id: str, actor, write: bool = False) -> EvaluationDataset | None:
    """The dataset, or None where MLflow's call is a no-op for a missing one (delete, delete tag)."""
    return _writable(_datasets(actor).filter(pk=dataset_id).first(), actor, write)


def evaluation_dataset_search(*, actor, experiment_ids=(), filter_string=None, max_results=None, order_by=(),
                              page_token=None) -> SearchPage:
    limit = _max_results(max_results or MAX_RESULTS_DEFAULTS["evaluation datasets"], "evaluation datasets")
    offset = page_token_decode(page_token)
    queryset = _datasets(actor).filter(clauses_to_q(EVALUATION_DATASET_SPEC, parse_filter(filter_string)))
    if experiment_ids:
        queryset = queryset.filter(experiments__in=_experiment_ids(experiment_ids)).distinct()
    rows = list(ordered(queryset, EVALUATION_DATASET_SPEC, list(order_by or ()))[offset:offset + limit + 1])
    token = page_token_encode(offset + limit) if len(rows) > limit else None
    return SearchPage(items=rows[:limit], next_page_token=token)


def evaluation_dataset_experiment_ids(*, dataset: EvaluationDataset) -> list[str]:
    return [str(pk) for pk in dataset.experiments.order_by("pk").values_list("pk", flat=True)]


def evaluation_dataset_records(*, dataset: EvaluationDataset, max_results=None,
                               page_token=None) -> tuple[list[EvaluationDatasetRecord], str | None]:
    """A page of records in (created_time, id) order; the token is MLflow's cursor: base64 "<time>:<id>"."""
    limit = _max_results(max_results or MAX_RESULTS_DEFAULTS["evaluation dataset records"],
                         "evaluation dataset records")
    records = EvaluationDatasetRecord.objects.filter(dataset=dataset).order_by("created_time", "dataset_record_id")
    if page_token:
        created_time, record_id = _cursor_decode(page_token)
        records = records.filter(Q(created_time__gt=created_time)
                                 | Q(created_time=created_time, dataset_record_id__gt=record_id))
    rows = list(records[:limit + 1])
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], base64.b64encode(f"{last.created_time}:{last.dataset_record_id}".encode()).decode()


def _cursor_decode(token: str) -> tuple[int, str]:
    try:
        created_time, record_id = base64.b64decode(str(token), validate=True).decode().split(":", 1)
        return int(created_time), record_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidParameter(f"Invalid page token '{token}'.") from None
