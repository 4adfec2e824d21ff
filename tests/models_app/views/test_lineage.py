"""The lineage graph: JSON from the selector, nodes linking to their pages."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_requires_login(client):
    assert client.get(reverse("models_app:lineage_graph")).status_code == 302


def test_it_returns_experiments_runs_versions_stages_and_parent_runs(owner_client, demo):
    graph = owner_client.get(reverse("models_app:lineage_graph"), {"model": "iris_classifier"}).json()
    kinds = {node["kind"] for node in graph["nodes"]}
    assert kinds == {"experiment", "dataset", "run", "version", "stage"}
    edges = {(edge["source"], edge["target"]) for edge in graph["edges"]}
    first, second = demo.runs
    assert (f"run:{first.pk}", f"run:{second.pk}") in edges  # parent run
    assert (f"run:{first.pk}", "version:iris_classifier/1") in edges
    assert ("version:iris_classifier/1", "stage:iris_classifier/Production") in edges
    dataset = next(node for node in graph["nodes"] if node["kind"] == "dataset")
    assert (dataset["id"], f"run:{first.pk}") in edges
    assert "dataset.name" in dataset["url"].replace("%20", " ").replace("+", " ")
    urls = {node["id"]: node["url"] for node in graph["nodes"]}
    assert urls["version:iris_classifier/1"] == reverse("models_app:modelversion", args=["iris_classifier", 1])


def test_it_renders_the_node_list_without_javascript(owner_client, demo):
    body = owner_client.get(reverse("models_app:lineage")).content.decode()
    assert 'id="lineage-nodes"' in body and "iris_classifier v2" in body
