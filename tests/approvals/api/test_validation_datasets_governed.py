"""Validation datasets are evidence: only governance admins create or delete them, through every entry point; the
artifact proxy cannot reach them (their own storage root, and the old `validation-datasets/` folder is reserved)."""
import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from approvals.models import ValidationDataset
from models_app.choices import AuditAction, EntryPoint
from models_app.models import AuditEvent
from models_app.services.tokens import api_token_create
from tests.approvals.validation_support import iris_frame, upload_iris_dataset

pytestmark = pytest.mark.django_db
DATASETS = "/api/v1/validation-datasets/"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


def _upload(name: str = "holdout") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    iris_frame().to_csv(buffer, index=False)
    return SimpleUploadedFile(f"{name}.csv", buffer.getvalue(), content_type="text/csv")


def _post(client, name: str = "stolen-holdout"):
    return client.post(DATASETS, {"name": name, "file": _upload(), "target_column": "target",
                                  "task_type": "classification"}, format="multipart")


@pytest.fixture
def governance_admin(django_user_model, settings):
    user = django_user_model.objects.create_user("gov", "gov@example.com", "gov-pass")
    Group.objects.get_or_create(name=settings.REGISTRY_GOVERNANCE_ADMIN_GROUP)[0].user_set.add(user)
    return user


@pytest.fixture
def dataset():
    return upload_iris_dataset(actor=None)


@pytest.mark.parametrize("who", ["outsider", "owner"])
def test_a_non_admin_cannot_create_replace_or_delete_a_dataset_through_the_api(client_as, who, request, dataset):
    """`owner` holds CAN_MANAGE on iris_classifier: managing a model gives no say over the evidence."""
    client = client_as(request.getfixturevalue(who))
    created = _post(client)
    assert created.status_code == 403
    assert created.json()["detail"] == (f"User '{who}' is not a governance admin; only governance admins can "
                                        "upload validation datasets.")
    deleted = client.delete(f"{DATASETS}{dataset.pk}/")
    assert deleted.status_code == 403
    assert "only governance admins can delete validation dataset 'iris-holdout'" in deleted.json()["detail"]
    for method in (client.put, client.patch):
        replaced = method(f"{DATASETS}{dataset.pk}/", {"name": "iris-holdout", "file": _upload(),
                                                       "target_column": "target"}, format="multipart")
        assert replaced.status_code == 405
    assert list(ValidationDataset.objects.values_list("name", "content_hash")) == [
        ("iris-holdout", dataset.content_hash)]


def test_a_governance_admin_creates_and_deletes_datasets_audited(client_as, governance_admin, settings,
                                                                 django_capture_on_commit_callbacks):
    created = _post(client_as(governance_admin), name="gov-holdout")
    assert created.status_code == 201, created.json()
    row = ValidationDataset.objects.get(name="gov-holdout")
    stored = settings.VALIDATION_DATASET_ROOT / row.storage_path
    assert stored.is_file()
    assert not stored.is_relative_to(settings.ARTIFACTS_ROOT)  # outside everything the artifact proxy serves
    with django_capture_on_commit_callbacks(execute=True):
        assert client_as(governance_admin).delete(f"{DATASETS}{row.pk}/").status_code == 204
    assert not stored.exists()
    assert list(AuditEvent.objects.filter(object_type="validation_dataset").order_by("id")
                .values_list("action", "actor_name")) == [
        (AuditAction.VALIDATION_DATASET_CREATED, "gov"), (AuditAction.VALIDATION_DATASET_DELETED, "gov")]


@pytest.mark.parametrize("who", ["outsider", "admin_user"])
def test_the_artifact_proxy_refuses_the_reserved_dataset_folder(who, request, dataset, settings):
    """The old home of datasets, even for a superuser: a PUT there could not pose as evidence again."""
    raw, _token = api_token_create(user=request.getfixturevalue(who), name="mlflow", entry_point=EntryPoint.COMMAND)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    path = f"{ARTIFACTS}/validation-datasets/{dataset.storage_path}"
    answers = [client.put(path, data=b"target\n0\n", content_type="application/octet-stream"), client.get(path),
               client.delete(path), client.get(ARTIFACTS, {"path": "validation-datasets"}),
               client.put(f"{ARTIFACTS}/Validation-Datasets/x.csv", data=b"x", content_type="text/csv")]
    for answer in answers:
        assert answer.status_code == 403
        assert answer.json()["error_code"] == "PERMISSION_DENIED"
        assert "reserved folder" in answer.json()["message"]
    assert not (settings.ARTIFACTS_ROOT / "validation-datasets").exists()


def test_the_admin_site_shows_datasets_read_only(admin_user, dataset):
    client = Client()
    client.force_login(admin_user)
    assert client.get(f"/admin/approvals/validationdataset/{dataset.pk}/change/").status_code == 200
    assert client.post("/admin/approvals/validationdataset/add/", {"name": "x"}).status_code == 403
    assert client.post(f"/admin/approvals/validationdataset/{dataset.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ValidationDataset.objects.filter(pk=dataset.pk).exists()
