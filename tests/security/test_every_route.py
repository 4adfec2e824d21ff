"""Every route of the URL conf, walked by users who must not see or change someone else's objects.

The route table is checked against the URL conf: a new route without a row here fails the build, and the
row says how to aim it at the victim's objects. Each route is then tried with every method, with bodies
that target the victim's experiment, run, logged model, artifacts, model, versions, request and
validation run, by
- an intruder with no grant at all (model default NONE, experiment default NO_PERMISSIONS), and
- a reader holding only the read defaults (CAN_READ on models, READ on experiments).
A response may refuse (4xx) or answer 2xx without any of the victim's markers for the intruder; and for
both, after every route, the victim's rows and files must be exactly as they were.
"""
import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from approvals.comment_models import VersionComment  # noqa: F401 - the table the walk watches
from approvals.models import ValidationRun
from approvals.services import policy_create, review_request_create
from approvals.services.comments import version_comment_create
from approvals.webhook_models import Webhook, WebhookDelivery
from models_app.choices import EntryPoint
from models_app.models import EvaluationDatasetRecord, ModelVersion

pytestmark = pytest.mark.django_db(transaction=False)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MARKERS = ("victim-experiment", "victim-model", "victim-run", "victim-secret", "victim-weights", "victim-notes",
           "victim-dataset", "victim-hook")


# --- the route table ---------------------------------------------------------------------------------

def _normalise(pattern: str) -> str:
    """`<int:pk>`, `(?P<pk>[^/.]+)` and `^…$` all become `<pk>`, so converters can change without churn."""
    pattern = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", pattern)
    pattern = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", pattern)
    return pattern.replace("^", "").replace("$", "")


def url_conf_routes() -> set[str]:
    def walk(resolver, prefix=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if str(entry.pattern) == "admin/":
                    continue  # walked through admin.site below
                yield from walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield _normalise(prefix + str(entry.pattern))

    return set(walk(get_resolver()))


@dataclass
class Route:
    """How to aim a route at the victim: URL arguments filled from the world, probed with every method."""
    fills: tuple[dict, ...] = ({},)  # one probe per dict: {url argument: world key}
    query: dict = field(default_factory=dict)  # extra query/body fields, values are world keys or literals
    public: bool = False  # reachable without a grant by design (sign-in, schema, the catch-all 404)


# World keys: E experiment id, R run id, M logged model id, NAME model name, V1/V2 versions, RQ request pk,
# VR validation run pk, POL policy pk, EVT an audit event pk about the model, VPATH the version's folder,
# RPATH the run's artifact folder.
MLFLOW = {
    "2.0/mlflow/experiments/create": Route(query={"name": "=intruder-experiment"}),
    "2.0/mlflow/experiments/get": Route(),
    "2.0/mlflow/experiments/get-by-name": Route(query={"experiment_name": "victim-experiment"}),
    "2.0/mlflow/experiments/search": Route(),
    "2.0/mlflow/experiments/update": Route(),
    "2.0/mlflow/experiments/delete": Route(),
    "2.0/mlflow/experiments/restore": Route(),
    "2.0/mlflow/experiments/set-experiment-tag": Route(),
    "2.0/mlflow/experiments/delete-experiment-tag": Route(query={"key": "team"}),
    "2.0/mlflow/runs/create": Route(),
    "2.0/mlflow/runs/get": Route(),
    "2.0/mlflow/runs/update": Route(),
    "2.0/mlflow/runs/delete": Route(),
    "2.0/mlflow/runs/restore": Route(),
    "2.0/mlflow/runs/search": Route(),
    "2.0/mlflow/runs/log-metric": Route(),
    "2.0/mlflow/runs/log-parameter": Route(query={"key": "forged"}),
    "2.0/mlflow/runs/log-batch": Route(),
    "2.0/mlflow/runs/set-tag": Route(),
    "2.0/mlflow/runs/delete-tag": Route(query={"key": "team"}),
    "2.0/mlflow/runs/log-inputs": Route(),
    "2.0/mlflow/runs/outputs": Route(),
    "2.0/mlflow/metrics/get-history": Route(),
    "2.0/mlflow/logged-models": Route(),
    "2.0/mlflow/logged-models/search": Route(),
    "2.0/mlflow/logged-models/<model_id>": Route(fills=({"model_id": "M"},)),
    "2.0/mlflow/logged-models/<model_id>/tags": Route(fills=({"model_id": "M"},)),
    "2.0/mlflow/logged-models/<model_id>/tags/<tag_key>": Route(fills=({"model_id": "M", "tag_key": "=team"},)),
    "2.0/mlflow/logged-models/<model_id>/params": Route(fills=({"model_id": "M"},)),
    "2.0/mlflow/registered-models/create": Route(query={"name": "=intruder-model"}),
    "2.0/mlflow/registered-models/get": Route(),
    "2.0/mlflow/registered-models/rename": Route(),
    "2.0/mlflow/registered-models/update": Route(),
    "2.0/mlflow/registered-models/delete": Route(),
    "2.0/mlflow/registered-models/search": Route(),
    "2.0/mlflow/registered-models/set-tag": Route(),
    "2.0/mlflow/registered-models/delete-tag": Route(query={"key": "team"}),
    "2.0/mlflow/registered-models/alias": Route(),
    "2.0/mlflow/registered-models/get-latest-versions": Route(),
    "2.0/mlflow/model-versions/create": Route(),
    "2.0/mlflow/model-versions/get": Route(),
    "2.0/mlflow/model-versions/update": Route(),
    "2.0/mlflow/model-versions/delete": Route(),
    "2.0/mlflow/model-versions/search": Route(),
    "2.0/mlflow/model-versions/transition-stage": Route(),
    "2.0/mlflow/model-versions/get-download-uri": Route(),
    "2.0/mlflow/model-versions/set-tag": Route(),
    "2.0/mlflow/model-versions/delete-tag": Route(query={"key": "team"}),
    "2.0/mlflow/artifacts/list": Route(query={"path": "="}),
    # MLflow 3's webhooks and the Databricks registry's messages.
    "2.0/mlflow/webhooks": Route(query={"url": "=https://hooks.example.invalid/intruder"}),
    "2.0/mlflow/webhooks/<webhook_id>": Route(fills=({"webhook_id": "WH"},)),
    "2.0/mlflow/webhooks/<webhook_id>/test": Route(fills=({"webhook_id": "WH"},)),
    "2.0/mlflow/comments/create": Route(),
    "2.0/mlflow/comments/update": Route(query={"id": "CM"}),
    "2.0/mlflow/comments/delete": Route(query={"id": "CM"}),
    "2.0/mlflow/databricks/model-versions/transition-stage": Route(),
    "2.0/mlflow/databricks/registered-models/get": Route(),
    "2.0/mlflow/registry-webhooks/create": Route(query={"model_name": "NAME"}),
    "2.0/mlflow/registry-webhooks/list": Route(query={"model_name": "NAME"}),
    "2.0/mlflow/registry-webhooks/update": Route(query={"id": "WH"}),
    "2.0/mlflow/registry-webhooks/delete": Route(query={"id": "WH"}),
    "2.0/mlflow/registry-webhooks/test": Route(query={"id": "WH"}),
    "2.0/mlflow/transition-requests/create": Route(query={"version": "V2", "stage": "=Production"}),
    "2.0/mlflow/transition-requests/list": Route(query={"version": "V2"}),
    "2.0/mlflow/transition-requests/approve": Route(query={"version": "V2", "stage": "=Production"}),
    "2.0/mlflow/transition-requests/reject": Route(query={"version": "V2", "stage": "=Production"}),
    "2.0/mlflow/transition-requests/delete": Route(query={"version": "V2", "stage": "=Production",
                                                         "creator": "=victim"}),
    "2.0/mlflow/<unknown>": Route(public=True, fills=({"unknown": "=runs/forge"},)),
    "2.0/mlflow-artifacts/artifacts": Route(fills=({}, {}), query={"path": "VPATH"}),
    "2.0/mlflow-artifacts/artifacts/<artifact_path>": Route(fills=(
        {"artifact_path": "VFILE"}, {"artifact_path": "RFILE"}, {"artifact_path": "VPATH"},
        {"artifact_path": "=nobody/owns/this.txt"}, {"artifact_path": "RNEW"}, {"artifact_path": "VNEW"},
    )),
    "2.0/mlflow-artifacts/<unknown>": Route(public=True, fills=({"unknown": "=nothing"},)),
    "3.0/mlflow/server-info": Route(public=True),
    "3.0/mlflow/datasets/create": Route(query={"name": "=intruder-dataset", "tags": '={"team": "intruders"}'}),
    "3.0/mlflow/datasets/search": Route(),
    "3.0/mlflow/datasets/<dataset_id>": Route(fills=({"dataset_id": "DS"},)),
    "3.0/mlflow/datasets/<dataset_id>/tags": Route(fills=({"dataset_id": "DS"},),
                                                   query={"tags": '={"team": "forged"}'}),
    "3.0/mlflow/datasets/<dataset_id>/tags/<key>": Route(fills=({"dataset_id": "DS", "key": "=team"},)),
    "3.0/mlflow/datasets/<dataset_id>/records": Route(fills=({"dataset_id": "DS"},)),
    "3.0/mlflow/datasets/<dataset_id>/experiment-ids": Route(fills=({"dataset_id": "DS"},)),
    "3.0/mlflow/datasets/<dataset_id>/add-experiments": Route(fills=({"dataset_id": "DS"},)),
    "3.0/mlflow/datasets/<dataset_id>/remove-experiments": Route(fills=({"dataset_id": "DS"},)),
    "3.0/mlflow/<unknown>": Route(public=True, fills=({"unknown": "=nothing"},)),
}

NATIVE = {
    "api/v1/models/": Route(query={"q": "victim"}),
    "api/v1/models/<name>/": Route(fills=({"name": "NAME"},)),
    "api/v1/models/<name>/aliases/<alias>/": Route(fills=({"name": "NAME", "alias": "=champion"},)),
    "api/v1/models/<name>/rename/": Route(fills=({"name": "NAME"},)),
    "api/v1/models/<name>/stage-at/": Route(fills=({"name": "NAME"},), query={"at": "2030-01-01T00:00:00Z"}),
    "api/v1/models/<name>/permissions/": Route(fills=({"name": "NAME"},)),
    "api/v1/models/<name>/rollback/": Route(fills=({"name": "NAME"},)),
    "api/v1/models/<name>/versions/": Route(fills=({"name": "NAME"},)),
    "api/v1/models/<name>/versions/<version>/": Route(fills=({"name": "NAME", "version": "V1"},
                                                            {"name": "NAME", "version": "V2"})),
    "api/v1/models/<name>/versions/<version>/transition/": Route(fills=({"name": "NAME", "version": "V1"},
                                                                       {"name": "NAME", "version": "V2"})),
    "api/v1/models/<name>/versions/<version>/validation-runs/": Route(fills=({"name": "NAME", "version": "V2"},)),
    "api/v1/audit-events/": Route(query={"model": "NAME"}),
    "api/v1/audit-events/<pk>/": Route(fills=({"pk": "EVT"},)),
    "api/v1/review-requests/": Route(),
    "api/v1/review-requests/<pk>/": Route(fills=({"pk": "RQ"},)),
    "api/v1/review-requests/<pk>/approve/": Route(fills=({"pk": "RQ"},)),
    "api/v1/review-requests/<pk>/cancel/": Route(fills=({"pk": "RQ"},)),
    "api/v1/review-requests/<pk>/reject/": Route(fills=({"pk": "RQ"},)),
    "api/v1/review-requests/<pk>/validation-runs/": Route(fills=({"pk": "RQ"},)),
    "api/v1/policies/": Route(),
    "api/v1/policies/<pk>/": Route(fills=({"pk": "POL"},)),
    "api/v1/validation-runs/": Route(),
    "api/v1/validation-runs/<pk>/": Route(fills=({"pk": "VR"},)),
    "api/v1/validation-runs/<pk>/repeat/": Route(fills=({"pk": "VR"},)),
    "api/v1/validation-datasets/": Route(),
    "api/v1/validation-datasets/<pk>/": Route(fills=({"pk": "=1"},)),
    "api/v1/experiments/<experiment_id>/permissions/": Route(fills=({"experiment_id": "E"},)),
    "api/v1/runs/<run_id>/": Route(fills=({"run_id": "R"},)),
    "api/v1/webhooks/": Route(query={"url": "=https://hooks.example.invalid/intruder"}),
    "api/v1/webhooks/<webhook_id>/": Route(fills=({"webhook_id": "WH"},)),
    "api/v1/webhooks/<webhook_id>/deliveries/": Route(fills=({"webhook_id": "WH"},)),
    "api/v1/webhook-deliveries/<pk>/": Route(fills=({"pk": "DLV"},)),
    "api/v1/webhook-deliveries/<pk>/replay/": Route(fills=({"pk": "DLV"},)),
    "api/v1/notifications/preferences/": Route(),
    # The Databricks permissions API (under /api/ only, as Databricks serves it), and its JSON 404 for the rest.
    "api/2.0/permissions/<unknown>": Route(public=True, fills=({"unknown": "=nothing"},)),
    "api/2.0/permissions/registered-models/<registered_model_id>": Route(fills=({"registered_model_id": "RMID"},)),
    "api/2.0/permissions/registered-models/<registered_model_id>/permissionLevels": Route(
        fills=({"registered_model_id": "RMID"},)),
    "api/v1/": Route(public=True),
    "api/schema/": Route(public=True),
    "api/docs/": Route(public=True),
    "api/redoc/": Route(public=True),
}

PAGES = {
    "": Route(),
    "favicon.ico": Route(public=True),
    # The MLflow UI's downloads, at the root as MLflow serves them.
    "get-artifact": Route(query={"path": "=victim-notes.txt"}),
    "model-versions/get-artifact": Route(query={"path": "=victim-weights.pkl"}),
    "accounts/login/": Route(public=True),
    "accounts/logout/": Route(public=True),
    "accounts/password_change/": Route(public=True),
    "accounts/password_change/done/": Route(public=True),
    "accounts/password_reset/": Route(public=True),
    "accounts/password_reset/done/": Route(public=True),
    "accounts/reset/<uidb64>/<token>/": Route(public=True, fills=({"uidb64": "=MQ", "token": "=set-password"},)),
    "accounts/reset/done/": Route(public=True),
    "approvals/": Route(),
    "approvals/inbox-count/": Route(),
    "approvals/requests/<pk>/": Route(fills=({"pk": "RQ"},)),
    "approvals/requests/<pk>/validation/": Route(fills=({"pk": "RQ"},)),
    "approvals/requests/<pk>/approve/": Route(fills=({"pk": "RQ"},)),
    "approvals/requests/<pk>/reject/": Route(fills=({"pk": "RQ"},)),
    "approvals/requests/<pk>/cancel/": Route(fills=({"pk": "RQ"},)),
    "approvals/models/<name>/policy/": Route(fills=({"name": "NAME"},)),
    "approvals/models/<name>/versions/<version>/requests/": Route(fills=({"name": "NAME", "version": "V1"},)),
    "approvals/models/<name>/versions/<version>/validation/": Route(fills=({"name": "NAME", "version": "V2"},)),
    "approvals/models/<name>/versions/<version>/validation/<pk>/repeat/": Route(
        fills=({"name": "NAME", "version": "V2", "pk": "VR"},)),
    "models/": Route(query={"q": "victim"}),
    "models/<name>/": Route(fills=({"name": "NAME"},)),
    "models/<name>/description/": Route(fills=({"name": "NAME"},)),
    "models/<name>/compare/": Route(fills=({"name": "NAME"},), query={"left": "V1", "right": "V2"}),
    "models/<name>/versions/<version>/": Route(fills=({"name": "NAME", "version": "V1"},)),
    "models/<name>/versions/<version>/stage/": Route(fills=({"name": "NAME", "version": "V1"},)),
    "models/<name>/versions/<version>/artifacts/": Route(fills=({"name": "NAME", "version": "V1"},)),
    "models/<name>/versions/<version>/artifacts/download/": Route(fills=({"name": "NAME", "version": "V1"},),
                                                                  query={"path": "=victim-weights.pkl"}),
    "experiments/": Route(),
    "experiments/<experiment_id>/": Route(fills=({"experiment_id": "E"},)),
    "runs/compare/": Route(query={"runs": "R"}),
    "runs/<run_id>/": Route(fills=({"run_id": "R"},)),
    "runs/<run_id>/artifacts/": Route(fills=({"run_id": "R"},)),
    "runs/<run_id>/artifacts/download/": Route(fills=({"run_id": "R"},), query={"path": "=victim-notes.txt"}),
    "lineage/": Route(query={"model": "NAME"}),
    "lineage/graph.json": Route(query={"model": "NAME"}),
    "audit/": Route(query={"model": "NAME"}),
    "audit/export.csv": Route(query={"model": "NAME"}),
}


def route_table() -> dict[str, Route]:
    table = {**NATIVE, **PAGES}
    for prefix in ("api/", "ajax-api/"):  # the UI's prefix mirrors every MLflow path
        table.update({prefix + pattern: route for pattern, route in MLFLOW.items()})
    return table


def test_the_route_table_names_every_route_of_the_url_conf():
    routes, table = url_conf_routes(), set(route_table())
    assert routes - table == set(), "routes without a row in the walk: say how to aim them at the victim"
    assert table - routes == set(), "rows for routes the URL conf no longer has"


# --- the victim's world, built over HTTP as the victim would ----------------------------------------

def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _mlflow(client, auth, path, body=None, method="post", prefix="/api/2.0/mlflow/"):
    call = getattr(client, method)
    if method == "get":
        response = call(f"{prefix}{path}", body or {}, HTTP_AUTHORIZATION=auth)
    else:
        response = call(f"{prefix}{path}", json.dumps(body or {}), content_type="application/json",
                        HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200, (path, response.content)
    return response.json()


def _put_file(client, auth, path, content: bytes):
    response = client.put(f"/api/2.0/mlflow-artifacts/artifacts/{path}", content,
                          content_type="application/octet-stream", HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200, (path, response.content)


@pytest.fixture
def world(client, django_user_model):
    """The victim's experiment, run, logged model, files, model with v1 @champion in Production and v2 under review."""
    victim = django_user_model.objects.create_user("victim", "victim@example.com", "victim-pass")
    admin_user = django_user_model.objects.create_superuser("root", "root@example.com", "root-pass")
    auth = _basic("victim", "victim-pass")
    experiment_id = _mlflow(client, auth, "experiments/create", {
        "name": "victim-experiment", "tags": [{"key": "team", "value": "victims"}]})["experiment_id"]
    run = _mlflow(client, auth, "runs/create", {"experiment_id": experiment_id, "run_name": "victim-run",
                                                "start_time": 1_700_000_000_000,
                                                "tags": [{"key": "team", "value": "victims"}]})["run"]
    run_id = run["info"]["run_id"]
    accuracy = {"key": "accuracy", "value": 0.93, "timestamp": 1, "step": 0}
    _mlflow(client, auth, "runs/log-batch", {"run_id": run_id, "params": [{"key": "depth", "value": "3"}],
                                             "metrics": [accuracy]})
    logged = _mlflow(client, auth, "logged-models", {"experiment_id": experiment_id, "name": "victim-weights",
                                                     "source_run_id": run_id,
                                                     "tags": [{"key": "team", "value": "victims"}]})["model"]
    model_id = logged["info"]["model_id"]
    model_folder = logged["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    run_folder = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    _put_file(client, auth, f"{run_folder}/victim-notes.txt", b"victim-secret notes")
    _put_file(client, auth, f"{model_folder}/MLmodel", b"flavors: {}\n")
    _put_file(client, auth, f"{model_folder}/victim-weights.pkl", b"victim-secret weights")
    _mlflow(client, auth, "logged-models/" + model_id, {"status": "LOGGED_MODEL_READY"}, method="patch")
    _mlflow(client, auth, "registered-models/create", {"name": "victim-model",
                                                       "tags": [{"key": "team", "value": "victims"}]})
    versions = []
    for _ in range(2):
        versions.append(_mlflow(client, auth, "model-versions/create", {
            "name": "victim-model", "source": logged["info"]["artifact_uri"], "run_id": run_id,
            "model_id": model_id, "tags": [{"key": "team", "value": "victims"}]})["model_version"]["version"])
    _mlflow(client, auth, "model-versions/transition-stage", {"name": "victim-model", "version": versions[0],
                                                              "stage": "Production"})
    _mlflow(client, auth, "registered-models/alias", {"name": "victim-model", "alias": "champion",
                                                      "version": versions[0]})
    dataset_id = _mlflow(client, auth, "datasets/create", {
        "name": "victim-dataset", "experiment_ids": [experiment_id], "tags": '{"team": "victims"}'},
        prefix="/api/3.0/mlflow/")["dataset"]["dataset_id"]
    _mlflow(client, auth, f"datasets/{dataset_id}/records",
            {"records": '[{"inputs": {"question": "victim-secret question"}}]'}, prefix="/api/3.0/mlflow/")
    policy = policy_create(name="victim-gate", model_pattern="victim-model", protected_stages=["Production"],
                           protected_aliases=["champion"], required_approvals=1,
                           approver_group=Group.objects.create(name="victim-approvers"),
                           actor=admin_user, entry_point=EntryPoint.NATIVE_API)
    version_two = ModelVersion.objects.get(registered_model__name="victim-model", version=versions[1])
    request = review_request_create(version=version_two, stage="Production", comment="victim-model v2",
                                    actor=victim, entry_point=EntryPoint.NATIVE_API)
    validation_run = ValidationRun.objects.filter(review_request=request).latest("pk")
    hook = Webhook.objects.create(name="victim-hook", url="https://hooks.example.invalid/victim",
                                  events=["model_version.created"], registered_model=version_two.registered_model,
                                  created_by=victim)
    delivery = WebhookDelivery.objects.create(webhook=hook, event="model_version.created", status="FAILED",
                                              registered_model_name="victim-model", data={"victim-hook": 1},
                                              occurred_at=timezone.now(), next_attempt_at=timezone.now())
    comment = version_comment_create(version=version_two, comment="victim-secret comment", actor=victim,
                                     entry_point=EntryPoint.MLFLOW_API)
    from models_app.models import AuditEvent  # noqa: PLC0415 - read after the world exists
    event = AuditEvent.objects.filter(object_type="registered_model").latest("pk")
    version_folder = ModelVersion.objects.get(pk=version_two.pk).storage_location.removeprefix("mlflow-artifacts:/")
    return {
        "E": experiment_id, "R": run_id, "M": model_id, "NAME": "victim-model", "V1": versions[0],
        "V2": versions[1], "RQ": request.pk, "VR": validation_run.pk, "POL": policy.pk, "EVT": event.pk,
        "VPATH": version_folder, "VFILE": f"{version_folder}/victim-weights.pkl", "VNEW": f"{version_folder}/extra.txt",
        "RPATH": run_folder, "RFILE": f"{run_folder}/victim-notes.txt", "RNEW": f"{run_folder}/forged.txt",
        "ADMIN": admin_user, "DS": dataset_id, "WH": hook.webhook_id, "DLV": delivery.pk, "CM": comment.pk,
        "RMID": version_two.registered_model_id,
        "DS_RECORD": EvaluationDatasetRecord.objects.filter(dataset_id=dataset_id).values_list("pk", flat=True)[0],
    }


def _fill(value, world):
    if isinstance(value, str) and value.startswith("="):
        return value[1:]
    return world.get(value, value) if isinstance(value, str) else value


def attack_fields(world, route: Route) -> dict:
    """Every field any route reads, aimed at the victim's objects; a route ignores the ones it does not know."""
    fields = {
        "experiment_id": world["E"], "experiment_ids": [world["E"]], "run_id": world["R"], "run_uuid": world["R"],
        "name": world["NAME"], "version": world["V1"], "model_id": world["M"], "source_run_id": world["R"],
        "key": "accuracy", "value": "0.01", "timestamp": 1, "step": 0, "metric_key": "accuracy",
        "new_name": "stolen-name", "description": "defaced", "stage": "Archived", "to_stage": "Archived",
        "archive_existing_versions": True, "alias": "champion", "status": "FAILED", "run_name": "defaced",
        "source": f"mlflow-artifacts:/{world['VPATH']}", "path": world["VPATH"], "comment": "let me",
        "reason": "because", "level": "CAN_MANAGE", "user": "intruder", "username": "intruder",
        "permission": "CAN_MANAGE", "tags": [{"key": "team", "value": "forged"}],
        "metrics": [{"key": "accuracy", "value": 0.01, "timestamp": 1, "step": 0}],
        "params": [{"key": "depth", "value": "forged"}],
        "datasets": [{"dataset": {"name": "forged", "digest": "d", "source_type": "local", "source": "x"}}],
        "models": [{"model_id": world["M"], "step": 0}], "filter": "", "max_results": 10,
        "model_pattern": "*", "protected_stages": [], "required_approvals": 0, "experiment_name": "victim-experiment",
        "dataset_id": world["DS"], "records": '[{"inputs": {"question": "forged"}}]',
        "dataset_record_ids": [world["DS_RECORD"]],
    }
    fields.update({key: [_fill(item, world) for item in value] if isinstance(value, list) else _fill(value, world)
                   for key, value in route.query.items()})
    return fields


def _query(fields: dict) -> dict:
    return {key: value for key, value in fields.items() if isinstance(value, str | int) and not isinstance(value, bool)}


# --- what must not change --------------------------------------------------------------------------

_UNWATCHED = {"auditevent", "auditchainhead", "apitoken"}


def _watched_models():
    for app_label in ("models_app", "approvals"):
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True):
            if model._meta.model_name not in _UNWATCHED:
                yield model


def snapshot() -> dict:
    rows = {}
    for model in _watched_models():
        for row in model.objects.values():
            rows[(model._meta.label, row["id"] if "id" in row else row[model._meta.pk.attname])] = row
    root = Path(settings.ARTIFACTS_ROOT)
    files = {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
             for path in root.rglob("*") if path.is_file()} if root.exists() else {}
    return {"rows": rows, "files": files}


def _references(model_label: str, row: dict, keys: set) -> list:
    model = apps.get_model(model_label)
    hits = []
    for field_ in model._meta.concrete_fields:
        if field_.is_relation and field_.related_model._meta.app_label in ("models_app", "approvals"):
            key = (field_.related_model._meta.label, row[field_.attname])
            if key in keys:
                hits.append(key)
    return hits


def changes_to_victim(before: dict, after: dict, *, may_add: tuple[str, ...] = ()) -> list[str]:
    """Rows of the victim changed or gone, new rows hung on the victim's, and files touched."""
    problems = [f"{key} changed: {before['rows'][key]} -> {after['rows'].get(key)}"
                for key in before["rows"] if after["rows"].get(key) != before["rows"][key]]
    victim_rows = set(before["rows"])
    for key, row in after["rows"].items():
        if key not in victim_rows and key[0] not in may_add and _references(key[0], row, victim_rows):
            problems.append(f"{key} added on the victim's {_references(key[0], row, victim_rows)}")
    if after["files"] != before["files"]:
        problems.append(f"files changed: {set(after['files'].items()) ^ set(before['files'].items())}")
    return problems


# --- the walk ----------------------------------------------------------------------------------------

def probes(world):
    for pattern, route in route_table().items():
        if route.public:
            continue
        for fill in route.fills:
            url = "/" + pattern
            for argument, key in fill.items():
                url = url.replace(f"<{argument}>", str(_fill(key, world)))
            fields = attack_fields(world, route)
            if not pattern.startswith(("api/", "ajax-api/")):
                # Pages echo what they were asked for (a heading, a search box, a pager's links): they get the
                # victim's names only where their row aims them, and those echoes are not leaks.
                for name in ("name", "experiment_name"):
                    if name not in route.query:
                        fields.pop(name)
            yield pattern, url, fields, {key: fields[key] for key in route.query}


def _send(client, method, url, fields, auth):
    query = _query(fields)
    body = json.dumps(fields)
    if url.startswith("/api/v1/") or "mlflow" in url:
        kwargs = {"content_type": "application/json", "HTTP_AUTHORIZATION": auth}
        if method == "GET":
            return client.get(url, query, HTTP_AUTHORIZATION=auth)
        target = f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if "mlflow" in url else url
        return client.generic(method, target, body, **kwargs)
    # Pages read the session; the MLflow UI's downloads at the root read the Authorization header.
    if method == "GET":
        return client.get(url, query, HTTP_AUTHORIZATION=auth)
    return client.generic(method, url, "&".join(f"{k}={v}" for k, v in query.items()),
                          content_type="application/x-www-form-urlencoded", HTTP_AUTHORIZATION=auth)


def _leaks(response, echoed: dict | None = None) -> list[str]:
    """The victim's markers in a 2xx answer, leaving out the filter values the page echoes back to the caller
    (a search box that says what was searched for, a link carrying the same query)."""
    if response.status_code >= 300:
        return []
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    for value in (echoed or {}).values():
        text = text.replace(str(value), "")
    return [marker for marker in MARKERS if marker in text]


def walk(client, world, user, password, *, may_add=(), may_see=False):
    auth = _basic(user.username, password)
    failures = []
    for pattern, url, fields, echoed in probes(world):
        for method in METHODS:
            before = snapshot()
            client.force_login(user)
            response = _send(client, method, url, fields, auth)
            if response.status_code >= 500:
                failures.append(f"{method} {url}: {response.status_code}")
            if not may_see and (leaked := _leaks(response, echoed=echoed)):
                failures.append(f"{method} {url}: {response.status_code} shows {leaked}")
            if problems := changes_to_victim(before, snapshot(), may_add=may_add):
                failures.append(f"{method} {url} ({pattern}): {problems}")
    return failures


@pytest.fixture
def intruder(settings, django_user_model):
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
    settings.REGISTRY_DEFAULT_EXPERIMENT_PERMISSION = "NO_PERMISSIONS"
    return django_user_model.objects.create_user("intruder", "intruder@example.com", "intruder-pass")


@pytest.fixture
def reader(settings, django_user_model):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_READ"
    settings.REGISTRY_DEFAULT_EXPERIMENT_PERMISSION = "READ"
    return django_user_model.objects.create_user("reader", "reader@example.com", "reader-pass")


def test_a_user_without_grants_walking_every_route_sees_and_changes_nothing_of_the_victims(client, world, intruder):
    failures = walk(client, world, intruder, "intruder-pass")
    assert not failures, "\n".join(failures)


# What a reader may see (each is a 200 with the victim's data) and may add: asking for a review, a validation
# run of the version, or a comment on it, is what CAN_READ grants; none changes the version or its request.
READER_READS = (
    "/api/2.0/mlflow/experiments/get?experiment_id={E}", "/api/2.0/mlflow/runs/get?run_id={R}",
    "/api/2.0/mlflow/metrics/get-history?run_id={R}&metric_key=accuracy", "/api/2.0/mlflow/logged-models/{M}",
    "/api/2.0/mlflow/registered-models/get?name={NAME}", "/api/2.0/mlflow-artifacts/artifacts/{VFILE}",
    "/api/2.0/mlflow-artifacts/artifacts/{RFILE}", "/experiments/{E}/", "/runs/{R}/", "/models/{NAME}/",
    "/models/{NAME}/versions/{V1}/", "/api/v1/models/{NAME}/", "/approvals/requests/{RQ}/",
)


def test_a_reader_walking_every_route_reads_but_changes_nothing_of_the_victims(client, world, reader):
    auth = _basic("reader", "reader-pass")
    client.force_login(reader)
    for template in READER_READS:
        url = template.format(**world)
        response = client.get(url, HTTP_AUTHORIZATION=auth)
        assert response.status_code == 200, (url, response.content[:300])
    failures = walk(client, world, reader, "reader-pass", may_see=True,
                    may_add=("approvals.ReviewRequest", "approvals.ValidationRun", "approvals.ValidationCheck",
                             "approvals.VersionComment"))
    assert not failures, "\n".join(failures)


# --- the admin ---------------------------------------------------------------------------------------

@pytest.fixture
def staff_without_grants(settings, django_user_model):
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
    settings.REGISTRY_DEFAULT_EXPERIMENT_PERMISSION = "NO_PERMISSIONS"
    staff = django_user_model.objects.create_user("staffer", "staffer@example.com", "staffer-pass", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label__in=("models_app", "approvals")))
    return staff


def test_a_staff_user_without_grants_finds_nothing_of_the_victims_in_the_admin(client, world, staff_without_grants):
    client.force_login(staff_without_grants)
    failures = []
    for model in admin.site._registry:
        if model._meta.app_label not in ("models_app", "approvals"):
            continue
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        before = snapshot()
        response = client.get(changelist)
        if leaked := _leaks(response):
            failures.append(f"{changelist} lists {leaked}")
        for pk in model.objects.values_list("pk", flat=True)[:50]:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
            if leaked := _leaks(client.get(change)):
                failures.append(f"{change} shows {leaked}")
            client.post(reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[pk]), {"post": "yes"})
        if problems := changes_to_victim(before, snapshot()):
            failures.append(f"{changelist}: {problems}")
    assert not failures, "\n".join(failures)
