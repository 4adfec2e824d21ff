import io

import pytest

from approvals.choices import ReviewRequestStatus as Status
from approvals.models import ReviewRequest
from approvals.services import review_request_approve, review_request_create
from models_app.choices import AuditAction, EntryPoint
from models_app.exceptions import InvalidState, PermissionDenied
from models_app.models import AuditEvent
from models_app.services.artifacts import artifact_delete, artifact_uri_to_path, artifact_write
from models_app.services.stages import model_version_transition_stage, registered_model_alias_set
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db


def _folder(version) -> str:
    return artifact_uri_to_path(version.storage_location)


def _overwrite(version, name="model.pkl", content=b"tampered"):
    artifact_write(path=f"{_folder(version)}/{name}", stream=io.BytesIO(content), actor=None)


@pytest.fixture
def in_production(prod_policy, iris, make_version, admin_user):
    version = make_version(iris)
    model_version_transition_stage(version=version, to_stage="Production", actor=admin_user, entry_point=API,
                                   force_reason="initial release")
    return version


def test_it_refuses_writes_under_a_version_in_a_protected_stage(in_production):
    with pytest.raises(PermissionDenied) as refusal:
        _overwrite(in_production)
    assert refusal.value.message == (
        f"Artifacts of iris_classifier v{in_production.version} are immutable while it is in Production.")
    with pytest.raises(PermissionDenied, match="immutable"):
        _overwrite(in_production, name="extra/new-file.txt")


def test_it_protects_versions_registered_from_a_uri_naming_the_server(prod_policy, iris, make_version, admin_user):
    version = make_version(iris, uri_prefix="mlflow-artifacts://registry.example.org:8000/")
    model_version_transition_stage(version=version, to_stage="Production", actor=admin_user, entry_point=API,
                                   force_reason="initial release")
    with pytest.raises(PermissionDenied, match=f"v{version.version} are immutable while it is in Production"):
        _overwrite(version)


@pytest.mark.parametrize("relative", ["model.pkl", "", "..parent"])
def test_it_refuses_deletes_of_the_files_or_a_folder_holding_them(in_production, relative):
    folder = _folder(in_production)
    path = folder.rsplit("/", 1)[0] if relative == "..parent" else f"{folder}/{relative}".rstrip("/")
    with pytest.raises(PermissionDenied, match="immutable while it is in Production"):
        artifact_delete(path=path, actor=None)


def test_it_refuses_writes_under_a_version_behind_a_protected_alias(prod_policy, iris, make_version, admin_user):
    version = make_version(iris)
    registered_model_alias_set(registered_model=iris, alias="champion", version_number=version.version,
                               actor=admin_user, entry_point=API, force_reason="initial release")
    with pytest.raises(PermissionDenied, match=f"v{version.version} are immutable while alias @champion points to it"):
        _overwrite(version)


def test_it_allows_writes_once_the_version_left_the_protected_stage(in_production, admin_user):
    model_version_transition_stage(version=in_production, to_stage="Archived", actor=admin_user, entry_point=API,
                                   force_reason="retired")
    _overwrite(in_production)


def test_it_allows_writes_to_unprotected_stages_and_ungoverned_models(iris, make_version, owner):
    version = make_version(iris)
    model_version_transition_stage(version=version, to_stage="Production", actor=owner, entry_point=API)
    _overwrite(version)  # no policy: MLflow's behaviour


def test_it_allows_writes_beside_a_protected_version(in_production, iris, make_version):
    neighbour = make_version(iris)
    _overwrite(neighbour)


def test_an_artifact_write_supersedes_the_open_request_it_changes_and_names_the_writer(prod_policy, iris,
                                                                                        make_version, owner,
                                                                                        user_named, outsider,
                                                                                        grant_model):
    grant_model(iris, outsider, "CAN_EDIT")  # a co-author who may write the model's files
    version = make_version(iris)
    request = review_request_create(version=version, actor=owner, entry_point=API, stage="Production")
    review_request_approve(request=request, actor=user_named("reviewer"), entry_point=API)
    artifact_write(path=f"{_folder(version)}/model.pkl", stream=io.BytesIO(b"tampered"), actor=outsider,
                   entry_point=EntryPoint.MLFLOW_API)
    request.refresh_from_db()
    assert request.status == Status.SUPERSEDED
    assert request.status_message == (f"'{_folder(version)}/model.pkl' was written by outsider through MLflow API "
                                      "while the request was open: the files under review changed")
    event = AuditEvent.objects.get(action=AuditAction.REVIEW_SUPERSEDED, object_id=str(request.pk))
    assert event.actor == outsider and event.entry_point == EntryPoint.MLFLOW_API
    with pytest.raises(InvalidState, match=f"Review request #{request.pk} is SUPERSEDED"):
        review_request_approve(request=request, actor=user_named("reviewer2"), entry_point=API)
    version.refresh_from_db()
    assert version.stage == "None"


def test_a_change_behind_the_registrys_back_voids_the_request_when_it_is_approved(prod_policy, iris, make_version,
                                                                                  owner, user_named, settings):
    version = make_version(iris)
    request = review_request_create(version=version, actor=owner, entry_point=API, stage="Production")
    (settings.ARTIFACTS_ROOT / _folder(version) / "model.pkl").write_bytes(b"edited on disk")
    with pytest.raises(InvalidState, match=f"Review request #{request.pk} no longer applies: the artifacts of "
                                           f"version {version.version} changed"):
        review_request_approve(request=request, actor=user_named("reviewer"), entry_point=API)
    request.refresh_from_db()
    assert request.status == Status.SUPERSEDED


def test_the_gate_refuses_an_approved_request_whose_artifacts_changed(prod_policy, iris, make_version, owner,
                                                                     settings):
    version = make_version(iris)
    request = review_request_create(version=version, actor=owner, entry_point=API, stage="Production")
    # An approved request waiting to be applied (as one blocked on validation would be), and files changed
    # without going through the registry (on disk), so only the gate's own hash, under the lock, can notice.
    ReviewRequest.objects.filter(pk=request.pk).update(status=Status.APPROVED)
    (settings.ARTIFACTS_ROOT / _folder(version) / "model.pkl").write_bytes(b"edited on disk")
    with pytest.raises(PermissionDenied, match=f"artifacts of iris_classifier v{version.version} changed after "
                                               f"review request #{request.pk}"):
        model_version_transition_stage(version=version, to_stage="Production", actor=owner, entry_point=API,
                                       review_request_id=request.pk)
