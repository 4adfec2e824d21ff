"""Registering versions of a logged model lists each of them in its mlflow.modelVersions tag, races included."""
import json

import pytest

from models_app.choices import EntryPoint
from models_app.models import LoggedModelTag
from models_app.services.experiments import experiment_create
from models_app.services.logged_models import logged_model_create
from models_app.services.registry import model_version_create, registered_model_create

from .concurrency import postgres_only, run_concurrently

SYSTEM = {"actor": None, "entry_point": EntryPoint.SYSTEM}


def _links(logged_model) -> list[dict]:
    return json.loads(LoggedModelTag.objects.get(logged_model=logged_model, key="mlflow.modelVersions").value)


@pytest.mark.django_db
def test_a_garbled_tag_is_replaced_and_versions_are_listed_in_order():
    experiment = experiment_create(name="links", **SYSTEM)
    logged = logged_model_create(actor=None, experiment=experiment, name="model",
                                 tags=[("mlflow.modelVersions", "not json")])
    registered_model_create(name="first", **SYSTEM)
    for _ in range(2):
        model_version_create(name="first", source=f"models:/{logged.pk}", model_id=logged.pk, **SYSTEM)
    assert _links(logged) == [{"name": "first", "version": 1}, {"name": "first", "version": 2}]


@pytest.mark.postgres
@postgres_only
def test_concurrent_registrations_of_one_logged_model_into_two_models_keep_both_links(transactional_db):
    experiment = experiment_create(name="links", **SYSTEM)
    logged = logged_model_create(actor=None, experiment=experiment, name="model")
    names = [f"model-{index}" for index in range(4)]
    for name in names:
        registered_model_create(name=name, **SYSTEM)

    run_concurrently(len(names), lambda index: model_version_create(
        name=names[index], source=f"models:/{logged.pk}", model_id=logged.pk, **SYSTEM))

    assert sorted(entry["name"] for entry in _links(logged)) == names
