"""Validation datasets: labelled data uploaded to the registry for the load-and-score check.

Governance admins alone create and delete them (every entry point goes through these functions); the files live
in their own storage (datasets_storage), outside the artifact store, and their hash is verified at every use.
"""
import hashlib
import io
import posixpath
import uuid

import pandas as pd
from django.core.files import File
from django.db import IntegrityError, transaction

from models_app.choices import AuditAction
from models_app.exceptions import AlreadyExists, InvalidParameter, InvalidState
from models_app.services.audit import audit_record
from models_app.services.common import require_text, user_or_none

from ..choices import DatasetFormat, TaskType
from ..datasets_storage import dataset_storage
from ..models import ValidationDataset
from .common import governance_admin_require

# Read to learn the columns and row count; larger files are refused rather than loaded into a web worker.
MAX_DATASET_BYTES = 200 * 1024 * 1024


def validation_dataset_create(*, name: str, upload, target_column: str, task_type: str, actor, entry_point: str,
                              description: str = "") -> ValidationDataset:
    """Store an uploaded CSV or Parquet file (governance admins); refuse one that lacks its target column."""
    governance_admin_require(actor, "upload validation datasets")
    name = require_text(name, "name", max_length=200).strip()
    target_column = require_text(target_column, "target_column", max_length=256)
    if task_type not in TaskType.values:
        raise InvalidParameter(f"Parameter 'task_type' must be one of {', '.join(TaskType.values)}, got {task_type!r}.")
    file_format = _format_of(getattr(upload, "name", "") or "")
    if upload.size > MAX_DATASET_BYTES:
        raise InvalidParameter(f"The dataset file is {upload.size} bytes; the limit is {MAX_DATASET_BYTES}.")
    content = upload.read()
    frame = _read(content, file_format)
    if target_column not in frame.columns:
        raise InvalidParameter(f"The dataset has no target column '{target_column}'; its columns are: "
                               f"{', '.join(map(str, frame.columns))}.")
    if len(frame.columns) < 2 or frame.empty:
        raise InvalidParameter("The dataset needs at least one row and one feature column beside the target.")
    storage = dataset_storage()
    path = storage.save(f"{uuid.uuid4().hex}.{file_format}", File(io.BytesIO(content), name=f"dataset.{file_format}"))
    try:
        with transaction.atomic():
            dataset = ValidationDataset.objects.create(
                name=name, description=description or "", storage_path=path, file_format=file_format,
                target_column=target_column, task_type=task_type, columns=[str(column) for column in frame.columns],
                row_count=len(frame), size_bytes=len(content), content_hash=hashlib.sha256(content).hexdigest(),
                created_by=user_or_none(actor),
            )
            _audit(dataset, AuditAction.VALIDATION_DATASET_CREATED, actor=actor, entry_point=entry_point)
    except IntegrityError:
        storage.delete(path)
        raise AlreadyExists(f"A validation dataset named '{name}' already exists.") from None
    except Exception:
        storage.delete(path)
        raise
    return dataset


def validation_dataset_delete(*, dataset: ValidationDataset, actor, entry_point: str) -> None:
    """Delete a dataset no policy uses (governance admins); past runs keep their snapshot."""
    governance_admin_require(actor, f"delete validation dataset '{dataset.name}'")
    policies = list(dataset.policies.values_list("name", flat=True))
    if policies:
        noun = "policy" if len(policies) == 1 else "policies"
        raise InvalidState(f"Validation dataset '{dataset.name}' is used by {noun} "
                           f"{', '.join(repr(name) for name in policies)}; remove it from them first.")
    with transaction.atomic():
        _audit(dataset, AuditAction.VALIDATION_DATASET_DELETED, actor=actor, entry_point=entry_point)
        path = dataset.storage_path
        dataset.delete()
        transaction.on_commit(lambda: dataset_storage().delete(path))


def _format_of(filename: str) -> str:
    extension = posixpath.splitext(filename.lower())[1].lstrip(".")
    if extension == "pq":
        extension = DatasetFormat.PARQUET
    if extension not in DatasetFormat.values:
        raise InvalidParameter(f"The dataset file must be .csv or .parquet, got '{filename or 'no file name'}'.")
    return extension


def _read(content: bytes, file_format: str) -> pd.DataFrame:
    try:
        if file_format == DatasetFormat.CSV:
            return pd.read_csv(io.BytesIO(content))
        return pd.read_parquet(io.BytesIO(content))
    except Exception as error:  # pandas and pyarrow raise many parser error types
        raise InvalidParameter(f"The dataset file could not be read as {file_format}: {error}") from None


def _audit(dataset: ValidationDataset, action: str, *, actor, entry_point: str) -> None:
    audit_record(action=action, actor=actor, entry_point=entry_point, object_type="validation_dataset",
                 object_id=str(dataset.pk), registered_model_name="",
                 details={"name": dataset.name, "target_column": dataset.target_column, "task_type": dataset.task_type,
                          "rows": dataset.row_count, "content_hash": dataset.content_hash})
