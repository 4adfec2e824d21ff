"""A version's page: lineage, source run, artifacts and downloads, the stage-change form and its refusals."""
import pytest
from django.urls import reverse

from models_app.choices import EntryPoint
from models_app.models import ModelVersion, StageTransition
from models_app.services.registry import model_version_create, registered_model_create

from .conftest import REFUSAL

pytestmark = pytest.mark.django_db


def _url(name="modelversion", version=2, model="iris_classifier"):
    return reverse(f"models_app:{name}", args=[model, version])


def test_it_requires_login(client, demo):
    assert client.get(_url()).status_code == 302
    assert client.post(_url("modelversion_stage"), {"stage": "Staging"}).status_code == 302
    assert ModelVersion.objects.get(version=2).stage == "None"


def test_it_shows_lineage_run_metrics_params_tags_and_artifacts(owner_client, demo):
    body = owner_client.get(_url()).content.decode()
    assert 'id="version-lineage"' in body
    assert "iris_classifier experiment" in body and "train-2" in body
    assert "accuracy" in body and "n_estimators" in body and "validated=yes" in body
    assert "MLmodel" in body and "model.pkl" in body


def test_it_browses_an_artifact_folder_as_a_fragment(owner_client, demo):
    demo.versions[1].storage_location = demo.runs[1].artifact_uri  # the run root, so `model/` is a folder
    demo.versions[1].save()
    response = owner_client.get(_url("modelversion_artifacts"), {"path": "model"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="artifact-browser">') and "MLmodel" in body


def test_it_streams_an_artifact_download(owner_client, demo):
    response = owner_client.get(_url("modelversion_artifacts_download"), {"path": "model.pkl"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"pickled-bytes"
    assert "attachment" in response["Content-Disposition"]


def test_it_refuses_a_download_outside_the_version_folder(owner_client, demo):
    response = owner_client.get(_url("modelversion_artifacts_download"), {"path": "../../model/MLmodel"})
    assert response.status_code == 404


def test_it_changes_the_stage_and_returns_the_new_badge_to_htmx(owner_client, demo):
    response = owner_client.post(_url("modelversion_stage"),
                                 {"step": "confirm", "stage": "Staging", "reason": "try it"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="version-stage"')
    assert 'class="badge stage-staging"' in body
    assert 'id="lineage-stage" hx-swap-oob="true"' in body  # the lineage strip's stage node, out of band
    assert ModelVersion.objects.get(version=2).stage == "Staging"
    assert StageTransition.objects.filter(version=2, entry_point="page", reason="try it").exists()


def test_it_changes_the_stage_without_javascript_and_redirects(owner_client, demo):
    response = owner_client.post(_url("modelversion_stage"), {"step": "confirm", "stage": "archived"}, follow=True)
    assert response.redirect_chain[-1][0] == _url()
    assert "Version 2 moved to Archived." in response.content.decode()


def test_it_shows_why_a_stage_change_was_refused(owner_client, demo, refusing_governance):
    response = owner_client.post(_url("modelversion_stage"), {"step": "confirm", "stage": "Production"},
                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert REFUSAL.replace("'", "&#x27;") in response.content.decode()
    assert ModelVersion.objects.get(version=2).stage == "None"


def test_it_shows_a_refusal_as_a_message_on_the_page_without_javascript(owner_client, demo, refusing_governance):
    response = owner_client.post(_url("modelversion_stage"), {"step": "confirm", "stage": "Production"}, follow=True)
    assert response.status_code == 200
    assert "Confirm change refused" in response.content.decode()


def test_it_explains_an_unknown_stage(owner_client, demo):
    response = owner_client.post(_url("modelversion_stage"), {"stage": "Heaven"}, HTTP_HX_REQUEST="true")
    assert "Invalid Model Version stage: Heaven" in response.content.decode()


def test_it_answers_404_for_an_unknown_version(owner_client, demo):
    assert owner_client.get(_url(version=99)).status_code == 404



def test_it_renders_a_version_without_a_source_run_or_stored_artifacts(owner_client, owner):
    registered_model_create(name="external", actor=owner, entry_point=EntryPoint.SYSTEM)
    model_version_create(name="external", source="mlflow-artifacts:/0/nowhere", actor=owner,
                         entry_point=EntryPoint.SYSTEM)
    body = owner_client.get(_url(model="external", version=1)).content.decode()
    assert "none recorded" in body and "This folder is empty." in body


def test_the_stage_menu_never_defaults_to_a_change(owner_client, demo):
    """On a Production version the first, selected option keeps Production: no "None" preselected."""
    body = owner_client.get(_url(version=1)).content.decode()
    menu = body[body.index('<select id="stage-select"'):]
    menu = menu[:menu.index("</select>")]
    assert '<option value="" selected>— keep Production —</option>' in menu
    assert menu.count("selected") == 1


def test_a_first_post_only_asks_for_confirmation(owner_client, demo):
    response = owner_client.post(_url("modelversion_stage"), {"step": "review", "stage": "Staging"},
                                 HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Move version 2 from None to Staging?" in body and "No policy protects this" in body
    assert 'name="step" value="confirm"' in body and ">Confirm change</button>" in body
    assert ModelVersion.objects.get(version=2).stage == "None"
    assert not StageTransition.objects.filter(version=2).exists()


def test_a_first_post_without_javascript_shows_the_confirmation_page(owner_client, demo):
    response = owner_client.post(_url("modelversion_stage"), {"stage": "Staging"})
    assert response.status_code == 200
    assert "Move version 2 from None to Staging?" in response.content.decode()
    assert ModelVersion.objects.get(version=2).stage == "None"


def test_it_points_and_removes_an_alias_after_confirmation(owner_client, demo):
    owner_client.post(_url("modelversion_stage"), {"step": "confirm", "alias": "challenger"})
    assert demo.model.aliases.get(alias="challenger").model_version.version == 2
    response = owner_client.post(_url("modelversion_stage"), {"step": "review", "remove_alias": "challenger"},
                                 HTTP_HX_REQUEST="true")
    assert "Remove @challenger from version 2?" in response.content.decode()
    owner_client.post(_url("modelversion_stage"), {"step": "confirm", "remove_alias": "challenger"})
    assert not demo.model.aliases.filter(alias="challenger").exists()


def test_it_asks_to_choose_something(owner_client, demo):
    response = owner_client.post(_url("modelversion_stage"), {"step": "confirm"}, HTTP_HX_REQUEST="true")
    assert "Not changed: Choose a stage or an alias first." in response.content.decode()


def test_it_warns_when_an_alias_points_at_an_archived_version(owner_client, demo):
    """demo: @champion on v1 (Production); archiving v1 directly leaves it there, and the pages say so."""
    owner_client.post(_url("modelversion_stage", version=1), {"step": "confirm", "stage": "Archived"})
    warning = "@champion points at v1, which is Archived"
    assert warning in owner_client.get(_url(version=1)).content.decode()
    assert warning in owner_client.get(reverse("models_app:registeredmodel", args=["iris_classifier"])).content.decode()
