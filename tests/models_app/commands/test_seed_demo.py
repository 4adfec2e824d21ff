"""seed_demo trains six small scikit-learn models: this file takes a few seconds."""
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from models_app.models import ApiToken, AuditEvent, ModelVersion, RegisteredModelAlias, StageTransition
from models_app.services.artifacts import artifact_uri_to_path, artifact_walk
from models_app.services.audit import audit_chain_verify
from models_app.services.audit_checkpoint import audit_checkpoint_write
from models_app.services.tokens import api_token_authenticate

pytestmark = pytest.mark.django_db


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    """Rows per model of every app, except the audit log: it records each token issued, by design."""
    audit = {AuditEvent, apps.get_model("models_app", "AuditChainHead")}
    return {model._meta.label: model.objects.count() for model in apps.get_models() if model not in audit}


def _printed_token(output: str) -> str:
    return output.split("MLFLOW_TRACKING_TOKEN=")[1].split()[0]


def test_it_leaves_the_same_rows_when_run_twice():
    first = _seed()
    counts_after_first, audit_after_first = _row_counts(), AuditEvent.objects.count()

    second = _seed("--address", "http://registry.internal:9000")

    assert _row_counts() == counts_after_first
    assert counts_after_first["models_app.ModelVersion"] == 6
    assert "Seeded model iris_classifier" in first
    assert "iris_classifier already has versions" in second
    # The second run only issues a new demo token, which the audit log records.
    new_events = AuditEvent.objects.order_by("id")[audit_after_first:]
    assert [event.action for event in new_events] == ["token.created"]
    audit_checkpoint_write()  # what the beat task does; the test's transaction never commits
    assert audit_chain_verify() is None
    assert api_token_authenticate(_printed_token(first)) is None  # replaced by the second run's token
    assert api_token_authenticate(_printed_token(second)).username == "alice"
    assert "export MLFLOW_TRACKING_URI=http://127.0.0.1:8000\n" in first  # make run's default address
    assert "export MLFLOW_TRACKING_URI=http://registry.internal:9000\n" in second


def test_it_stages_versions_and_creates_the_demo_users():
    output = _seed()

    versions = ModelVersion.objects.select_related("registered_model")
    stages = {(version.registered_model.name, version.version): version.stage for version in versions}
    assert stages == {
        ("iris_classifier", 1): "Production", ("iris_classifier", 2): "Staging",
        ("HousePricePredictor", 1): "Production", ("HousePricePredictor", 2): "Staging",
        ("wine_classifier", 1): "Production", ("wine_classifier", 2): "Staging",
    }
    champions = RegisteredModelAlias.objects.filter(alias="champion").values_list("registered_model__name",
                                                                                   "model_version__version")
    assert sorted(champions) == [("HousePricePredictor", 1), ("iris_classifier", 1), ("wine_classifier", 1)]
    assert set(StageTransition.objects.values_list("entry_point", "actor_name")) == {("command", "admin")}
    # The demo users and their roles.
    users = {user.username: user for user in get_user_model().objects.all()}
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert users["admin"].check_password("admin-pass") and users["alice"].check_password("alice-pass")
    assert not users["alice"].is_staff
    assert list(users["rita"].groups.values_list("name", flat=True)) == ["prod-approvers"]
    assert ApiToken.objects.filter(user=users["alice"], revoked_at__isnull=True).count() == 1
    assert "rita / rita-pass" in output


def test_it_stores_each_version_as_an_mlflow_model_with_a_content_hash():
    _seed()

    for version in ModelVersion.objects.select_related("logged_model", "run"):
        files = set(artifact_walk(artifact_uri_to_path(version.storage_location)))
        assert {"MLmodel", "model.skops", "requirements.txt"} <= files
        assert version.content_hash and version.run.status == "FINISHED"
        assert version.logged_model.status == "LOGGED_MODEL_READY"
    iris_v1 = ModelVersion.objects.get(registered_model__name="iris_classifier", version=1)
    assert iris_v1.run.params.get(key="n_estimators").value == "100"
    assert iris_v1.run.latest_metrics.get(key="accuracy").value > 0.9
    assert iris_v1.tags.get(key="team").value == "data_science"
