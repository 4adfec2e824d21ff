"""The models list: login, search, sorting, fragment vs page, query bounds."""
import pytest
from django.urls import reverse

from models_app.choices import EntryPoint
from models_app.services.registry import model_version_create, registered_model_create

pytestmark = pytest.mark.django_db
URL = reverse("models_app:registeredmodel_list")


def test_it_redirects_anonymous_users_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_redirects_the_root_to_the_models_list(owner_client):
    response = owner_client.get("/")
    assert response.status_code == 302 and response["Location"] == URL


def test_it_lists_models_with_latest_versions_stage_badges_and_aliases(owner_client, demo):
    body = owner_client.get(URL).content.decode()
    assert "iris_classifier" in body
    assert 'class="badge stage-production"' in body
    assert "@champion → v1" in body
    assert "team=data_science" in body


def test_it_filters_by_name_and_returns_only_the_table_to_htmx(owner_client, owner):
    for name in ("fraud-detector", "iris", "churn"):
        registered_model_create(name=name, actor=owner, entry_point=EntryPoint.SYSTEM)
    response = owner_client.get(URL, {"q": "FRAUD"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="registeredmodel-table">')
    assert "fraud-detector" in body and "churn" not in body and "<html" not in body


def test_it_renders_the_full_page_without_the_htmx_header(owner_client):
    body = owner_client.get(URL, {"q": "x"}).content.decode()
    assert "<html" in body and 'id="registeredmodel-table"' in body


def test_it_sorts_by_name_descending(owner_client, owner):
    for name in ("alpha", "beta"):
        registered_model_create(name=name, actor=owner, entry_point=EntryPoint.SYSTEM)
    body = owner_client.get(URL, {"sort": "-name"}).content.decode()
    assert body.index(">beta<") < body.index(">alpha<")


@pytest.mark.parametrize("rows", [1, 200])
def test_it_runs_a_bounded_number_of_queries(owner_client, owner, django_assert_max_num_queries, rows):
    for number in range(rows):
        registered_model_create(name=f"model-{number:03}", actor=owner, entry_point=EntryPoint.SYSTEM)
        if number % 20 == 0:
            model_version_create(name=f"model-{number:03}", source="mlflow-artifacts:/0/x", actor=owner,
                                 entry_point=EntryPoint.SYSTEM, tags=[("k", "v")])
    # session + user, count, page of models, their tags, aliases, versions, version tags, version aliases,
    # open review requests per model (the governance hook)
    with django_assert_max_num_queries(10):
        response = owner_client.get(URL)
    assert response.status_code == 200
