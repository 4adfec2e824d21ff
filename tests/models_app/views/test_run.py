"""A run's page (metric history, params, child runs, artifacts) and runs compared."""
import json

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _url(run):
    return reverse("models_app:run", args=[run.pk])


def test_it_requires_login(client, demo):
    assert client.get(_url(demo.runs[0])).status_code == 302


def test_it_shows_history_params_tags_children_and_artifacts(owner_client, demo):
    response = owner_client.get(_url(demo.runs[0]))
    body = response.content.decode()
    histories = response.context["histories"]
    assert histories["accuracy"][demo.runs[0].pk][0] == [0, 1, 2, 3, 4]
    assert 'id="run-histories"' in body and "n_estimators" in body
    assert "train-2" in body  # the child run
    assert "model/" in body  # the artifact folder
    assert "iris_classifier v1" in body


def test_it_links_a_child_run_to_its_parent(owner_client, demo):
    body = owner_client.get(_url(demo.runs[1])).content.decode()
    assert reverse("models_app:run", args=[demo.runs[0].pk]) in body


def test_it_answers_404_for_an_unknown_run(owner_client):
    assert owner_client.get(reverse("models_app:run", args=["0" * 32])).status_code == 404


def test_it_downloads_a_run_artifact(owner_client, demo):
    url = reverse("models_app:run_artifacts_download", args=[demo.runs[0].pk])
    response = owner_client.get(url, {"path": "model/MLmodel"})
    assert b"".join(response.streaming_content).startswith(b"flavors:")


def test_it_compares_runs_with_overlaid_histories(owner_client, demo):
    url = reverse("models_app:run_compare")
    response = owner_client.get(url, {"runs": [run.pk for run in demo.runs]})
    body = response.content.decode()
    histories = json.loads(body.split('id="run-histories" type="application/json">')[1].split("</script>")[0])
    assert set(histories["accuracy"]) == {run.pk for run in demo.runs}
    assert "n_estimators" in body


def test_it_asks_for_two_runs_to_compare(owner_client, demo):
    body = owner_client.get(reverse("models_app:run_compare"), {"runs": demo.runs[0].pk}).content.decode()
    assert "Select at least two runs" in body
