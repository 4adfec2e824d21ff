"""Reads of MLflow 3 evaluation datasets: one by id, search, record pages, the experiments they belong to.

Access: a dataset inherits the access of the experiments it is associated with. `evaluation_dataset_access`
is the one place that decides it, for reads and writes alike.
"""
import base64
import binascii

from django.db.models import F, Prefetch, Q, QuerySet

from ..exceptions import InvalidParameter, NotFound, Unauthenticated
from ..models import EvaluationDataset, EvaluationDatasetRecord, EvaluationDatasetTag
from ..search_filter import parse_filter
from .search import SearchPage, _experiment_ids, _max_results, page_token_decode, page_token_encode
from .search_clauses import NUMERIC, Attribute, EntitySpec, KeyValueTable, clauses_to_q, ordered

SEARCH_MAX_RESULTS_DEFAULT = 1000
SEARCH_MAX_RESULTS_CAP = 50_000
RECORDS_PAGE_DEFAULT = 1000
RECORDS_PAGE_CAP = 10_000

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


def evaluation_dataset_access(*, actor, write: bool = False) -> Q:
    """Which datasets `actor` may read (or write), as a condition on EvaluationDataset.

    Every signed-in account reaches every dataset for now; once experiments have permissions, this becomes
    "a dataset whose experiments the actor may read (write)", and every dataset endpoint follows.
    """
    if not getattr(actor, "is_authenticated", False):
        raise Unauthenticated("Evaluation datasets need a signed-in account: send an API token or Basic credentials.")
    return Q()


def _datasets(actor, *, write: bool) -> QuerySet[EvaluationDataset]:
    return EvaluationDataset.objects.filter(evaluation_dataset_access(actor=actor, write=write)).prefetch_related(
        Prefetch("tags", queryset=EvaluationDatasetTag.objects.order_by("key")))


def evaluation_dataset_get(*, dataset_id: str, actor, write: bool = False) -> EvaluationDataset:
    dataset = _datasets(actor, write=write).filter(pk=dataset_id).first()
    if dataset is None:
        raise NotFound(f"Evaluation dataset with id '{dataset_id}' not found")
    return dataset


def evaluation_dataset_find(*, dataset_id: str, actor, write: bool = False) -> EvaluationDataset | None:
    """The dataset, or None where MLflow's call is a no-op for a missing one (delete, delete tag)."""
    return _datasets(actor, write=write).filter(pk=dataset_id).first()


def evaluation_dataset_search(*, actor, experiment_ids=(), filter_string=None, max_results=None, order_by=(),
                              page_token=None) -> SearchPage:
    limit = _max_results(max_results or SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_CAP)
    offset = page_token_decode(page_token)
    queryset = _datasets(actor, write=False).filter(clauses_to_q(EVALUATION_DATASET_SPEC, parse_filter(filter_string)))
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
    limit = _max_results(max_results or RECORDS_PAGE_DEFAULT, RECORDS_PAGE_CAP)
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
