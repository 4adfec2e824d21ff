"""Audit visibility, as the attacker: the API, the page and the CSV export show only events about what the
viewer may read; registry-wide events and those of deleted objects are the governance admins'."""
import pytest
from rest_framework.test import APIClient

from approvals.services import policy_create
from models_app.choices import EntryPoint
from models_app.services.experiments import experiment_create
from models_app.services.registry import registered_model_create, registered_model_delete
from models_app.services.runs import run_create, run_delete

pytestmark = pytest.mark.django_db
API = EntryPoint.NATIVE_API


@pytest.fixture
def history(owner, admin_user):
    """Events of team-a's experiment and run, of model 'fraud', of a deleted model, and a registry-wide policy."""
    experiment = experiment_create(name="team-a", actor=owner, entry_point=API)
    run_delete(run=run_create(experiment=experiment, actor=owner), actor=owner, entry_point=API)
    registered_model_create(name="fraud", actor=owner, entry_point=API)
    gone = registered_model_create(name="gone", actor=owner, entry_point=API)
    registered_model_delete(registered_model=gone, actor=owner, entry_point=API)
    policy_create(name="everything", model_pattern="*", protected_stages=["Production"], actor=admin_user,
                  entry_point=API)
    return experiment


def _api_objects(user) -> set[tuple[str, str]]:
    client = APIClient()
    client.force_authenticate(user)
    body = client.get("/api/v1/audit-events/", {"page_size": 200}).json()
    return {(row["object_type"], row["object_id"]) for row in body["results"]}


def _seen_everywhere(client, user) -> tuple[set, str, str]:
    client.force_login(user)
    return _api_objects(user), client.get("/audit/").content.decode(), b"".join(
        client.get("/audit/export.csv").streaming_content).decode()


def test_a_user_without_grants_sees_no_event_of_other_teams(client, settings, history, outsider):
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
    settings.REGISTRY_DEFAULT_EXPERIMENT_PERMISSION = "NO_PERMISSIONS"
    objects, page, csv = _seen_everywhere(client, outsider)
    assert objects == set()
    for text in (page, csv):
        assert "fraud" not in text and "team-a" not in text and "everything" not in text and "gone" not in text


def test_a_reader_sees_what_they_may_read_but_not_registry_wide_or_deleted_objects(client, history, outsider):
    objects, page, csv = _seen_everywhere(client, outsider)
    types = {object_type for object_type, _ in objects}
    assert {"experiment", "run", "experiment_permission", "registered_model", "model_permission"} <= types
    assert ("approval_policy", "everything") not in {(t, i) for t, i in objects}
    assert not any("gone" in object_id for _, object_id in objects)
    assert "everything" not in csv and "gone" not in csv and "fraud" in csv and "team-a" in csv
    assert "everything" not in page


def test_governance_admins_see_everything(client, history, admin_user):
    objects, _page, csv = _seen_everywhere(client, admin_user)
    assert any(object_type == "approval_policy" for object_type, _ in objects)
    assert any("gone" in object_id for _, object_id in objects) and "gone" in csv


def test_one_query_filters_the_log_whatever_its_length(client, settings, owner, outsider, grant_experiment,
                                                       django_assert_max_num_queries):
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
    settings.REGISTRY_DEFAULT_EXPERIMENT_PERMISSION = "NO_PERMISSIONS"
    for index in range(20):
        experiment = experiment_create(name=f"exp-{index}", actor=owner, entry_point=API)
        if index % 4 == 0:
            grant_experiment(experiment, outsider, "READ")
    api = APIClient()
    api.force_authenticate(outsider)
    with django_assert_max_num_queries(4):  # governance-admin group, the page; defaults and grants are subqueries
        rows = api.get("/api/v1/audit-events/", {"page_size": 200}).json()["results"]
    assert {row["object_id"].split(":")[0] for row in rows} == {
        str(pk) for pk in owner.experiment_set.filter(name__in=[f"exp-{i}" for i in range(0, 20, 4)])
        .values_list("pk", flat=True)}
