"""Fixtures for governance tests: a model with real artifact files, an approver group, an admin, a policy."""
import io
import itertools

import pytest
from django.contrib.auth.models import Group

from approvals.services import permission_remove, permission_set, policy_create
from models_app.choices import EntryPoint
from models_app.services.artifacts import artifact_write
from models_app.services.registry import model_version_create, registered_model_create

API = EntryPoint.NATIVE_API
_folders = itertools.count(1)


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.com", "admin-pass")


@pytest.fixture
def approvers(django_user_model, reviewer):
    """Group 'prod-approvers' with three members: reviewer, reviewer2, reviewer3."""
    group = Group.objects.create(name="prod-approvers")
    others = [django_user_model.objects.create_user(name, f"{name}@example.com", "pass")
              for name in ("reviewer2", "reviewer3")]
    group.user_set.add(reviewer, *others)
    return group


@pytest.fixture
def iris(owner):
    """Model 'iris_classifier' created by owner (who therefore holds CAN_MANAGE on it)."""
    return registered_model_create(name="iris_classifier", actor=owner, entry_point=API)


def artifacts_store(path: str, *, weights: bytes = b"weights-1") -> None:
    artifact_write(path=f"{path}/MLmodel", stream=io.BytesIO(b"flavors: {}\n"), actor=None)
    artifact_write(path=f"{path}/model.pkl", stream=io.BytesIO(weights), actor=None)


@pytest.fixture
def make_version(owner):
    """Register a version of `model` whose files exist in the artifact store."""

    def make(model, *, actor=None, weights: bytes = b"weights-1", uri_prefix="mlflow-artifacts:/"):
        path = f"1/models/m-{next(_folders):032x}/artifacts"
        artifacts_store(path, weights=weights)
        return model_version_create(name=model.name, source=f"{uri_prefix}{path}", actor=actor or owner,
                                    entry_point=API)

    return make


@pytest.fixture
def prod_policy(admin_user, iris, approvers):
    """'prod-gate' on iris: Production and @champion need 2 approvals from prod-approvers, whose group holds
    CAN_MANAGE_PRODUCTION_VERSIONS on iris (the registry's default lets them only read it)."""
    grant_approvers(iris, approvers)
    return policy_create(name="prod-gate", model_pattern=iris.name, protected_stages=["production"],
                         protected_aliases=["champion"], required_approvals=2, approver_group=approvers,
                         actor=admin_user, entry_point=API)


def grant_approvers(model, group) -> None:
    permission_set(registered_model=model, level="CAN_MANAGE_PRODUCTION_VERSIONS", group=group, actor=None,
                   entry_point=API)


def revoke_approvers(model, group) -> None:
    """For tests of what a member lacking the level is refused: the fixtures' group grant taken back."""
    permission_remove(registered_model=model, group=group, actor=None, entry_point=API)


@pytest.fixture
def user_named(django_user_model):
    return lambda name: django_user_model.objects.get(username=name)
