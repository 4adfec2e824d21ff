"""Writes to MLflow 3 evaluation datasets: creation, tags, records (upserted by their inputs), experiments.

Behaviour follows MLflow 3.17's server: a record is identified by its inputs (an upsert with the same inputs
merges outputs, expectations and tags into the existing record), every write refreshes the dataset's digest
and last_update_time, the schema lists the field types seen, the profile counts the records, and the
`mlflow.user` tag of a dataset or record fills created_by / last_updated_by.
"""
import hashlib
import json

from django.db import transaction

from ..exceptions import InvalidParameter, NotFound
from ..models import EvaluationDataset, EvaluationDatasetRecord, EvaluationDatasetTag, Experiment
from ..models.base import now_ms
from ..selectors.search import _experiment_ids
from ..selectors.tracking import experiments_readable
from .common import experiment_authorize, require_text, upsert_key_values, user_or_none, validate_key_value

MLFLOW_USER_TAG = "mlflow.user"
MAX_DATASET_NAME_LENGTH = 255
MAX_RECORDS_PER_UPSERT = 10_000
SOURCE_TYPES = ("UNSPECIFIED", "TRACE", "HUMAN", "DOCUMENT", "CODE")


def evaluation_dataset_digest(name: str, last_update_time: int) -> str:
    # Changes with every write: the name and the time of the last update, hashed (MLflow's recipe).
    return hashlib.sha256(f"{name}:{last_update_time}".encode()).hexdigest()[:8]


def _experiments(experiment_ids, actor) -> list[Experiment]:
    """The experiments named, each one `actor` may edit: a dataset joins an experiment's evidence. One `actor`
    cannot read is answered as missing."""
    ids = _experiment_ids(experiment_ids)
    found = {experiment.pk: experiment for experiment in experiments_readable(actor).filter(pk__in=ids)}
    for pk in ids:
        if pk not in found:
            raise NotFound(f"No Experiment with id={pk}")
    for experiment in found.values():
        experiment_authorize(actor=actor, experiment=experiment)
    return [found[pk] for pk in dict.fromkeys(ids)]


def _clean_tags(tags: dict | None) -> list[tuple[str, str]]:
    if tags is None:
        return []
    if not isinstance(tags, dict):
        raise InvalidParameter("Parameter 'tags' must be a JSON object of tag names to values.")
    # MLflow stores every value as text and skips None (which means "leave the tag alone").
    return [validate_key_value(key, value if isinstance(value, str) else json.dumps(value), what="tag")
            for key, value in tags.items() if value is not None]


def evaluation_dataset_create(*, name, actor, tags: dict | None = None,
                              experiment_ids=()) -> EvaluationDataset:
    name = require_text(name, "name", max_length=MAX_DATASET_NAME_LENGTH)
    clean_tags = _clean_tags(tags)
    user = dict(clean_tags).get(MLFLOW_USER_TAG)
    with transaction.atomic():
        experiments = _experiments(experiment_ids, actor)
        now = now_ms()
        dataset = EvaluationDataset.objects.create(
            name=name, digest=evaluation_dataset_digest(name, now), created_time=now, last_update_time=now,
            created_by=user, last_updated_by=user, owner=user_or_none(actor))
        upsert_key_values(EvaluationDatasetTag, "dataset", dataset, clean_tags)
        dataset.experiments.add(*experiments)
    return dataset


def evaluation_dataset_delete(*, dataset: EvaluationDataset) -> None:
    """Delete the dataset with its records, tags and experiment links."""
    dataset.delete()


def evaluation_dataset_set_tags(*, dataset: EvaluationDataset, tags: dict) -> None:
    upsert_key_values(EvaluationDatasetTag, "dataset", dataset, _clean_tags(tags))


def evaluation_dataset_delete_tag(*, dataset: EvaluationDataset, key: str) -> None:
    # Idempotent, as MLflow's: deleting a tag that is not there is no error.
    EvaluationDatasetTag.objects.filter(dataset=dataset, key=key).delete()


def evaluation_dataset_add_experiments(*, dataset: EvaluationDataset, experiment_ids, actor) -> EvaluationDataset:
    with transaction.atomic():
        dataset.experiments.add(*_experiments(experiment_ids, actor))
        _touch(dataset, update_digest=False)
    return dataset


def evaluation_dataset_remove_experiments(*, dataset: EvaluationDataset, experiment_ids) -> EvaluationDataset:
    """Unlink the experiments; ids the dataset is not linked to are ignored (MLflow only warns)."""
    ids = [int(str(value)) for value in experiment_ids or () if str(value).isdigit()]
    with transaction.atomic():
        through = EvaluationDataset.experiments.through
        removed, _ = through.objects.filter(evaluationdataset=dataset, experiment_id__in=ids).delete()
        if removed:
            _touch(dataset, update_digest=False)
    return dataset


def _touch(dataset: EvaluationDataset, *, update_digest: bool, **fields) -> None:
    dataset.last_update_time = now_ms()
    changed = {"last_update_time": dataset.last_update_time, **fields}
    if update_digest:
        changed["digest"] = evaluation_dataset_digest(dataset.name, dataset.last_update_time)
    for field, value in changed.items():
        setattr(dataset, field, value)
    EvaluationDataset.objects.filter(pk=dataset.pk).update(**changed)


def _input_hash(inputs) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _record_dicts(records) -> list[dict]:
    if not isinstance(records, list) or not all(isinstance(record, dict) for record in records):
        raise InvalidParameter("Parameter 'records' must be a JSON list of record objects.")
    if len(records) > MAX_RECORDS_PER_UPSERT:
        raise InvalidParameter(f"An upsert may hold at most {MAX_RECORDS_PER_UPSERT} records; got {len(records)}.")
    for record in records:
        for field in ("inputs", "expectations", "tags"):
            if record.get(field) is not None and not isinstance(record[field], dict):
                raise InvalidParameter(f"A record's '{field}' must be a JSON object.")
    return records


def _source(value) -> tuple[dict | None, str | None, str | None]:
    """(source, source_id, source_type) of a record's `source`, as MLflow derives them."""
    if not value:
        return None, None, None
    if not isinstance(value, dict):
        raise InvalidParameter("A record's 'source' must be an object with 'source_type' and 'source_data'.")
    source_type = str(value.get("source_type") or "UNSPECIFIED").upper()
    if source_type not in SOURCE_TYPES:
        raise InvalidParameter(f"Invalid source type '{value.get('source_type')}'. "
                               f"Value must be one of {', '.join(SOURCE_TYPES)}.")
    data = value.get("source_data") or {}
    if not isinstance(data, dict):
        raise InvalidParameter("A record's 'source_data' must be an object.")
    source_id = data.get("trace_id") if source_type == "TRACE" else data.get("source_id")
    return {"source_type": source_type, "source_data": data}, source_id, source_type


def evaluation_dataset_upsert_records(*, dataset: EvaluationDataset, records) -> dict[str, int]:
    """Insert records with new inputs, merge the others into the record with the same inputs.

    Statements: lock the dataset; read the records with the batch's inputs; insert; update each merged record;
    count; update the dataset.
    """
    records = _record_dicts(records)
    with transaction.atomic():
        dataset = EvaluationDataset.objects.select_for_update().get(pk=dataset.pk)
        now = now_ms()
        hashes = [_input_hash(record.get("inputs") or {}) for record in records]
        existing = {row.input_hash: row for row in
                    EvaluationDatasetRecord.objects.filter(dataset=dataset, input_hash__in=hashes)}
        inserted: dict[str, EvaluationDatasetRecord] = {}
        updated = 0
        updated_by = None
        for record, input_hash in zip(records, hashes, strict=True):
            tags = record.get("tags") or {}
            user = tags.get(MLFLOW_USER_TAG)
            updated_by = user or updated_by
            row = existing.get(input_hash) or inserted.get(input_hash)
            if row is not None:  # also a second record with the same inputs in this batch, as MLflow counts it
                _merge(row, record, now)
                updated += 1
                continue
            source, source_id, source_type = _source(record.get("source"))
            inserted[input_hash] = EvaluationDatasetRecord(
                dataset=dataset, input_hash=input_hash, inputs=record.get("inputs") or {},
                outputs=record.get("outputs", {}), expectations=record.get("expectations"), tags=dict(tags),
                source=source, source_id=source_id, source_type=source_type, created_time=now,
                last_update_time=now, created_by=user, last_updated_by=user)
        EvaluationDatasetRecord.objects.bulk_create(inserted.values())
        for row in existing.values():
            row.save(update_fields=["outputs", "expectations", "tags", "last_update_time", "last_updated_by"])
        count = EvaluationDatasetRecord.objects.filter(dataset=dataset).count()
        _touch(dataset, update_digest=True, last_updated_by=updated_by,
               schema=json.dumps(_schema(dataset.schema, records)),
               profile=json.dumps({"num_records": count}) if count else dataset.profile)
    return {"inserted": len(inserted), "updated": updated}


def _merge(row: EvaluationDatasetRecord, record: dict, now: int) -> None:
    if "outputs" in record:
        row.outputs = record["outputs"]
    if expectations := record.get("expectations"):
        row.expectations = {**(row.expectations or {}), **expectations}
    if tags := record.get("tags"):
        row.tags = {**(row.tags or {}), **tags}
        if tags.get(MLFLOW_USER_TAG):
            row.last_updated_by = tags[MLFLOW_USER_TAG]
    row.last_update_time = now


def _field_type(value) -> str:
    if value is None:
        return "null"
    for kind, name in ((bool, "boolean"), (int, "integer"), (float, "float"), (str, "string"), (list, "array"),
                       (dict, "object")):
        if isinstance(value, kind):
            return name
    return "unknown"


def _schema(current: str | None, records: list[dict]) -> dict:
    """The dataset's schema: the type of each input, output and expectation field, as first seen."""
    try:
        schema = json.loads(current) if current else None
    except ValueError:
        schema = None
    if not isinstance(schema, dict):
        schema = {"inputs": {}, "outputs": {}, "expectations": {}, "version": "1.0"}
    for record in records:
        for field in ("inputs", "expectations"):
            for key, value in (record.get(field) or {}).items():
                schema[field].setdefault(key, _field_type(value))
        outputs = record.get("outputs")
        if isinstance(outputs, dict):
            for key, value in outputs.items():
                schema["outputs"].setdefault(key, _field_type(value))
        elif outputs is not None and not schema["outputs"]:
            schema["outputs"] = _field_type(outputs)
    return schema


def evaluation_dataset_delete_records(*, dataset: EvaluationDataset, record_ids: list[str]) -> int:
    with transaction.atomic():
        deleted, _ = EvaluationDatasetRecord.objects.filter(dataset=dataset, pk__in=list(record_ids)).delete()
        if deleted:
            remaining = EvaluationDatasetRecord.objects.filter(dataset=dataset).count()
            EvaluationDataset.objects.filter(pk=dataset.pk).update(
                profile=json.dumps({"num_records": remaining} if remaining else None))
    return deleted
