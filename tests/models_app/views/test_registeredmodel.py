"""A model's page: versions table, description edited in place, history timeline, version comparison."""
import pytest
from django.urls import reverse

from models_app.choices import EntryPoint
from models_app.models import RegisteredModel
from models_app.services.registry import model_version_create

pytestmark = pytest.mark.django_db


def _url(name="iris_classifier"):
    return reverse("models_app:registeredmodel", args=[name])


def test_it_requires_login(client, demo):
    assert client.get(_url()).status_code == 302


def test_it_shows_versions_tags_and_the_stage_and_alias_timeline(owner_client, demo):
    body = owner_client.get(_url()).content.decode()
    assert 'id="version-row-2"' in body and 'id="version-row-1"' in body
    assert "train-1" in body and "owner" in body
    assert "team" in body and "data_science" in body
    assert 'class="timeline"' in body and "@champion" in body


def test_it_answers_404_for_an_unknown_model(owner_client):
    assert owner_client.get(_url("nope")).status_code == 404


def test_it_saves_the_description_through_the_service_and_returns_the_fragment(owner_client, demo):
    url = reverse("models_app:registeredmodel_description", args=["iris_classifier"])
    response = owner_client.post(url, {"description": "Better forest."}, HTTP_HX_REQUEST="true")
    assert response.content.decode().lstrip().startswith('<div id="model-description">')
    assert RegisteredModel.objects.get(name="iris_classifier").description == "Better forest."


def test_it_saves_the_description_without_javascript_and_redirects(owner_client, demo):
    url = reverse("models_app:registeredmodel_description", args=["iris_classifier"])
    response = owner_client.post(url, {"description": "Plain form."})
    assert response.status_code == 302 and response["Location"] == _url()
    assert RegisteredModel.objects.get(name="iris_classifier").description == "Plain form."


def test_it_shows_the_edit_form_in_the_page_without_javascript(owner_client, demo):
    body = owner_client.get(_url(), {"edit": "1"}).content.decode()
    assert 'name="description"' in body and "Random forest on iris." in body


def test_it_compares_two_versions_and_highlights_differences(owner_client, demo):
    url = reverse("models_app:registeredmodel_compare", args=["iris_classifier"])
    body = owner_client.get(url, {"left": 1, "right": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<div id="version-compare">')
    assert '<tr class="differs">' in body and "n_estimators" in body
    assert "max_depth" in body and '<tr class="">' in body  # max_depth is equal in both


@pytest.mark.parametrize("versions", [1, 200])
def test_it_runs_a_bounded_number_of_queries(owner_client, owner, demo, django_assert_max_num_queries, versions):
    for _ in range(versions):
        model_version_create(name="iris_classifier", source=f"{demo.runs[0].artifact_uri}/model", actor=owner,
                             entry_point=EntryPoint.SYSTEM, run_id=demo.runs[0].pk, tags=[("k", "v")])
    # session, user, model, count, versions (+run, experiment), aliases, tags, model tags, model aliases,
    # stage history, alias history
    with django_assert_max_num_queries(13):
        response = owner_client.get(_url())
    assert response.status_code == 200
