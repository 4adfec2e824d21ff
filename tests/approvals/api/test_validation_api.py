"""The validation API: runs on demand and per request, with checks and progress; datasets; policy checks."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals.models import ValidationDataset, ValidationRun
from approvals.services import policy_update, review_request_create, validation_run_create
from tests.approvals.conftest import API
from tests.approvals.validation_support import iris_frame, register_iris_version

pytestmark = pytest.mark.django_db
RUNS = "/api/v1/validation-runs/"
DATASETS = "/api/v1/validation-datasets/"


def _csv(frame) -> bytes:
    buffer = io.BytesIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue()


def test_a_run_on_demand_executes_and_shows_its_checks(client_as, prod_policy, iris, owner, outsider,
                                                       django_capture_on_commit_callbacks):
    policy_update(policy=prod_policy, actor=None, entry_point=API,
                  metric_thresholds=[{"metric": "accuracy", "op": ">=", "value": 0.99}])
    version = register_iris_version(iris.name, actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(outsider).post(RUNS, {"model": iris.name, "version": version.version,
                                                   "stage": "production"}, format="json")
    assert response.status_code == 202, response.json()
    created = response.json()
    assert (created["status"], created["progress"], created["target_stage"]) == ("QUEUED", {"done": 0, "total": 2},
                                                                                "Production")
    body = client_as(outsider).get(f"{RUNS}{created['id']}/").json()
    assert (body["status"], body["progress"], body["policy"]) == ("FAILED", {"done": 2, "total": 2}, "prod-gate")
    failing = body["checks"][1]
    assert {key: failing[key] for key in ("name", "status", "expected")} == {
        "name": "Run metric accuracy >= 0.99", "status": "FAILED", "expected": ">= 0.99"}
    assert failing["message"].endswith("does not meet accuracy >= 0.99 (the source run).")


def test_runs_are_listed_per_version_per_request_and_filtered(client_as, prod_policy, iris, make_version, owner,
                                                              outsider):
    version = make_version(iris)
    request = review_request_create(version=version, actor=owner, entry_point=API, stage="Production")
    validation_run_create(version=version, actor=owner, entry_point=API)
    client = client_as(outsider)
    per_version = client.get(f"/api/v1/models/{iris.name}/versions/{version.version}/validation-runs/").json()
    assert [run["status"] for run in per_version] == ["QUEUED", "QUEUED"]
    per_request = client.get(f"/api/v1/review-requests/{request.pk}/validation-runs/").json()
    assert [run["review_request"] for run in per_request] == [request.pk]
    detail = client.get(f"/api/v1/review-requests/{request.pk}/").json()
    assert detail["validation"]["id"] == per_request[0]["id"]
    filtered = client.get(RUNS, {"model": iris.name, "review_request": request.pk}).json()["results"]
    assert [run["id"] for run in filtered] == [per_request[0]["id"]]
    assert client.get(RUNS, {"status": "DONE"}).status_code == 400


def test_a_finished_run_can_be_repeated_and_a_running_one_cannot(client_as, iris, make_version, owner):
    version = make_version(iris)
    run = validation_run_create(version=version, actor=owner, entry_point=API)
    refused = client_as(owner).post(f"{RUNS}{run.pk}/repeat/")
    assert refused.status_code == 400
    assert refused.json()["detail"] == f"Validation run #{run.pk} is still QUEUED; repeat it once it has finished."
    ValidationRun.objects.filter(pk=run.pk).update(status="ERROR")
    repeated = client_as(owner).post(f"{RUNS}{run.pk}/repeat/")
    assert repeated.status_code == 202
    assert repeated.json()["id"] != run.pk


def test_the_run_list_has_bounded_queries(client_as, iris, make_version, owner, django_assert_max_num_queries):
    version = make_version(iris)
    for _ in range(25):
        validation_run_create(version=version, actor=owner, entry_point=API)
    with django_assert_max_num_queries(6):
        response = client_as(owner).get(RUNS, {"page_size": 50})
    assert len(response.json()["results"]) == 25


def test_a_dataset_is_uploaded_described_and_used_by_a_policy(client_as, prod_policy, owner, admin_user):
    upload = SimpleUploadedFile("holdout.csv", _csv(iris_frame()), content_type="text/csv")
    response = client_as(admin_user).post(DATASETS, {"name": "iris-holdout", "file": upload,
                                                     "target_column": "target", "task_type": "classification"},
                                          format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["row_count"], body["file_format"], body["created_by"]) == (150, "csv", admin_user.username)
    assert "target" in body["columns"] and len(body["columns"]) == 5
    patched = client_as(admin_user).patch(f"/api/v1/policies/{prod_policy.pk}/", {
        "validation_datasets": ["iris-holdout"], "require_validation": True,
        "champion_thresholds": [{"metric": "accuracy", "greater_is_better": True, "min_relative_change": 0.01}],
    }, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["validation_datasets"] == ["iris-holdout"]
    in_use = client_as(admin_user).delete(f"{DATASETS}{body['id']}/")
    assert in_use.status_code == 400
    assert in_use.json()["detail"] == ("Validation dataset 'iris-holdout' is used by policy 'prod-gate'; remove it "
                                        "from them first.")


@pytest.mark.parametrize(("fields", "message"), [
    ({"target_column": "label"}, "The dataset has no target column 'label'; its columns are: sepal length (cm)"),
    ({"name": "x.txt"}, "The dataset file must be .csv or .parquet, got 'x.txt'."),
])
def test_a_bad_dataset_is_refused_with_the_reason(client_as, admin_user, fields, message):
    upload = SimpleUploadedFile(fields.get("name", "holdout.csv"), _csv(iris_frame()))
    response = client_as(admin_user).post(DATASETS, {"name": "bad", "file": upload, "task_type": "classification",
                                                "target_column": fields.get("target_column", "target")},
                                     format="multipart")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert not ValidationDataset.objects.exists()


def test_policy_thresholds_are_checked_with_a_message_naming_the_entry(client_as, prod_policy, admin_user):
    response = client_as(admin_user).patch(f"/api/v1/policies/{prod_policy.pk}/", {
        "metric_thresholds": [{"metric": "accuracy", "op": "≥", "value": 0.9}]}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "metric_thresholds[0].op must be one of >=, >, <=, <, ==, got '≥'."
    unknown = client_as(admin_user).patch(f"/api/v1/policies/{prod_policy.pk}/",
                                          {"validation_datasets": ["nope"]}, format="json")
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "Validation dataset(s) 'nope' do not exist."


