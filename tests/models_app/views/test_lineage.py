"""The lineage graph: JSON from the selector, nodes linking to their pages."""
import pytest
from django.urls import reverse

from models_app.choices import EntryPoint
from models_app.services.registry import model_version_create, registered_model_create

pytestmark = pytest.mark.django_db


def test_it_requires_login(client):
    assert client.get(reverse("models_app:lineage_graph")).status_code == 302


def test_it_returns_experiments_runs_versions_stages_and_parent_runs(owner_client, demo):
    graph = owner_client.get(reverse("models_app:lineage_graph"), {"model": "iris_classifier"}).json()
    kinds = {node["kind"] for node in graph["nodes"]}
    assert kinds == {"experiment", "dataset", "run", "version", "stage", "alias"}
    edges = {(edge["source"], edge["target"]) for edge in graph["edges"]}
    first, second = demo.runs
    assert (f"run:{first.pk}", f"run:{second.pk}") in edges  # parent run
    assert (f"run:{first.pk}", "version:iris_classifier/1") in edges
    assert ("version:iris_classifier/1", "stage:iris_classifier/Production") in edges
    assert ("version:iris_classifier/1", "alias:iris_classifier@champion") in edges
    dataset = next(node for node in graph["nodes"] if node["kind"] == "dataset")
    assert (dataset["id"], f"run:{first.pk}") in edges
    assert "dataset.name" in dataset["url"].replace("%20", " ").replace("+", " ")
    urls = {node["id"]: node["url"] for node in graph["nodes"]}
    assert urls["version:iris_classifier/1"] == reverse("models_app:modelversion", args=["iris_classifier", 1])
    assert urls["alias:iris_classifier@champion"] == reverse("models_app:registeredmodel", args=["iris_classifier"])


def test_it_renders_the_node_list_without_javascript(owner_client, demo):
    body = owner_client.get(reverse("models_app:lineage")).content.decode()
    assert 'id="lineage-nodes"' in body and "iris_classifier v2" in body


def _legend(body: str) -> str:
    start = body.index('<p class="muted legend" id="lineage-legend">')
    return body[start:body.index("</p>", start)]


def test_the_legend_names_only_the_kinds_of_nodes_shown(owner_client, owner, demo):
    legend = _legend(owner_client.get(reverse("models_app:lineage"), {"model": "iris_classifier"}).content.decode())
    for kind in ("experiment", "dataset", "run", "version", "stage", "alias"):
        assert f'<span class="legend-item kind-{kind}">' in legend
    assert "logged model" not in legend  # no version of iris_classifier was registered from a logged model
    registered_model_create(name="bare", actor=owner, entry_point=EntryPoint.SYSTEM)
    model_version_create(name="bare", source="mlflow-artifacts:/0/bare/model", actor=owner,
                         entry_point=EntryPoint.SYSTEM)
    bare = _legend(owner_client.get(reverse("models_app:lineage"), {"model": "bare"}).content.decode())
    assert '<span class="legend-item kind-version">version</span>' in bare
    assert bare.count("legend-item") == 1


def test_an_empty_graph_has_no_legend(owner_client):
    body = owner_client.get(reverse("models_app:lineage"), {"model": "nothing"}).content.decode()
    assert "lineage-legend" not in body and "Nothing registered for" in body
