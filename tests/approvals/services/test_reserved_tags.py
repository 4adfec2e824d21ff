import pytest

from approvals.services import policy_create
from models_app.choices import EntryPoint
from models_app.exceptions import PermissionDenied
from models_app.services.registry import (
    model_version_create,
    model_version_delete_tag,
    model_version_set_tag,
    registered_model_create,
    registered_model_set_tag,
)
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db

CLIENT_ENTRY_POINTS = [EntryPoint.MLFLOW_API, EntryPoint.NATIVE_API, EntryPoint.PAGE, EntryPoint.ADMIN]


@pytest.mark.parametrize("entry_point", CLIENT_ENTRY_POINTS)
@pytest.mark.parametrize("key", ["approved_by", "approved_at", "review_request"])
def test_it_refuses_clients_setting_reserved_tags_on_governed_models(prod_policy, iris, make_version, owner, key,
                                                                     entry_point):
    version = make_version(iris)
    with pytest.raises(PermissionDenied) as refusal:
        model_version_set_tag(version=version, key=key, value="mallory", actor=owner, entry_point=entry_point)
    assert refusal.value.message == f"Tag '{key}' is reserved: the registry writes it when a review request is applied."
    assert refusal.value.http_status == 403
    assert not version.tags.filter(key=key).exists()


def test_it_refuses_clients_deleting_reserved_tags(prod_policy, iris, make_version, owner):
    version = make_version(iris)
    model_version_set_tag(version=version, key="approved_by", value="reviewer", actor=None,
                          entry_point=EntryPoint.REVIEW_REQUEST)
    with pytest.raises(PermissionDenied, match="Tag 'approved_by' is reserved"):
        model_version_delete_tag(version=version, key="approved_by", actor=owner, entry_point=API)
    assert version.tags.filter(key="approved_by").exists()


def test_it_refuses_reserved_tags_given_at_registration_and_on_the_model(prod_policy, iris, owner):
    with pytest.raises(PermissionDenied, match="Tag 'approved_by' is reserved"):
        model_version_create(name=iris.name, source="mlflow-artifacts:/1/x", actor=owner, entry_point=API,
                             tags=[("approved_by", "me")])
    with pytest.raises(PermissionDenied, match="Tag 'review_request' is reserved"):
        registered_model_set_tag(registered_model=iris, key="review_request", value="7", actor=owner, entry_point=API)
    assert not iris.versions.exists()


def test_it_reserves_them_on_new_models_when_a_global_policy_exists(admin_user, owner):
    policy_create(name="global-gate", model_pattern="*",
                  protected_stages=["Production"], actor=admin_user, entry_point=API)
    with pytest.raises(PermissionDenied, match="Tag 'approved_at' is reserved"):
        registered_model_create(name="churn", actor=owner, entry_point=API, tags=[("approved_at", "today")])


def test_it_leaves_reserved_tags_to_clients_of_ungoverned_models(iris, make_version, owner):
    # The seeds' MLflow workflow sets approved_by itself; without a policy that keeps working.
    version = make_version(iris)
    model_version_set_tag(version=version, key="approved_by", value="jane", actor=owner, entry_point=API)
    model_version_delete_tag(version=version, key="approved_by", actor=owner, entry_point=API)
    assert not version.tags.exists()


def test_it_lets_other_tags_through_on_governed_models(prod_policy, iris, make_version, owner):
    version = make_version(iris)
    model_version_set_tag(version=version, key="approved_by_team", value="risk", actor=owner, entry_point=API)
    assert version.tags.get().key == "approved_by_team"


@pytest.mark.parametrize("look_alike", ["Approved_By", "APPROVED_BY", "approved_by ", " approved_by",
                                        "approved\u200b_by", "ａｐｐｒｏｖｅｄ_by", "Review_Request"])
def test_look_alikes_of_reserved_keys_are_reserved_too(prod_policy, iris, make_version, owner, look_alike):
    version = make_version(iris)
    with pytest.raises(PermissionDenied, match="is reserved: the registry writes it"):
        model_version_set_tag(version=version, key=look_alike, value="mallory", actor=owner, entry_point=API)
    assert not version.tags.exists()
