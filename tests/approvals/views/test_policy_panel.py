"""The governance panel of model and version pages, and the version page's panel under a policy: locks on
protected targets, "Request promotion" in place, one request for Production and @champion."""
import html

import pytest
from django.urls import reverse

from approvals.choices import ReviewRequestStatus
from approvals.models import ReviewRequest
from approvals.services import review_request_approve
from models_app.models import ModelVersion, RegisteredModel
from models_app.services.stages import registered_model_alias_set

pytestmark = pytest.mark.django_db


def _panel(name="iris_classifier"):
    return reverse("approvals:model_policy", args=[name])


def _stage(version):
    return reverse("models_app:modelversion_stage", args=["iris_classifier", version])


def test_it_redirects_anonymous_users_and_hides_unreadable_models(client, login, outsider, settings, gate_policy):
    assert client.get(_panel()).status_code == 302
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
    assert login(outsider).get(_panel()).status_code == 404


def test_it_says_what_protects_the_model_and_who_holds_it(login, owner, pending, django_assert_max_num_queries):
    client = login(owner)
    # session, user, the model (readable check), policies, datasets of the policy, Production holders, alias
    # holders, open requests with approval counts.
    with django_assert_max_num_queries(9):
        body = html.unescape(client.get(_panel()).content.decode())
    assert "Policy <strong>“prod-gate”</strong> protects" in body
    assert '<th scope="row">Production</th><td><a href="/models/iris_classifier/versions/1/">v1</a>' in body
    assert '<th scope="row">@champion</th><td><a href="/models/iris_classifier/versions/1/">v1</a>' in body
    assert "1 approval from members of group “prod-approvers”" in body
    assert f"#{pending.pk}</a> v2 → Production" in body and "0 / 1 approvals, asked by owner" in body


def test_it_warns_when_a_protected_alias_is_left_on_an_archived_version(login, owner, reviewer, pending):
    """A Production-only request archives v1 (archive_previous) and leaves @champion on it."""
    review_request_approve(request=pending, actor=reviewer, entry_point="page")
    body = login(owner).get(_panel()).content.decode()
    assert "@champion points at v1, which is Archived" in body


def test_a_model_without_a_policy_says_changes_apply_directly(login, owner, demo):
    body = login(owner).get(_panel()).content.decode()
    assert "No policy governs iris_classifier: stage and alias changes apply directly" in body


def test_the_version_panel_marks_protected_targets(login, owner, gate_policy):
    body = login(owner).get(reverse("models_app:modelversion", args=["iris_classifier", 1])).content.decode()
    panel = body[body.index('id="version-stage"'):body.index("Stage history")]
    # Production (the current stage), @champion beside it and @champion's Remove control.
    assert panel.count('class="lock"') == 3
    assert "— keep Production —" in panel
    assert "None (protected: needs approval)" in panel  # leaving Production is governed too


def test_choosing_a_protected_stage_offers_a_request_with_the_stranded_alias(login, owner, gate_policy):
    response = login(owner).post(_stage(2), {"step": "review", "stage": "Production"}, HTTP_HX_REQUEST="true")
    body = html.unescape(response.content.decode())
    assert "<strong>Move version 2 from None to Production</strong> is protected by policy “prod-gate”" in body
    assert ">Request promotion</button>" in body
    assert 'name="alias" value="champion" checked' in body
    assert not ReviewRequest.objects.exists()


def test_requesting_in_place_opens_one_request_for_stage_and_alias(login, owner, reviewer, gate_policy):
    response = login(owner).post(_stage(2), {"step": "confirm", "stage": "Production", "alias": "champion",
                                             "reason": "better recall"}, HTTP_HX_REQUEST="true")
    body = html.unescape(response.content.decode())
    opened = ReviewRequest.objects.get()
    assert f"Review request #{opened.pk} opened for Production + @champion: it waits for 1 approval from group " \
           "'prod-approvers'." in body
    assert response["HX-Trigger"] == "review-requests-changed, validation-runs-changed"
    assert (opened.target_stage, opened.target_alias, opened.comment) == ("Production", "champion", "better recall")
    review_request_approve(request=opened, actor=reviewer, entry_point="page")
    opened.refresh_from_db()
    assert opened.status == ReviewRequestStatus.APPLIED
    assert ModelVersion.objects.get(version=2).stage == "Production"
    assert ModelVersion.objects.get(version=1).stage == "Archived"
    assert gate_policy.review_requests.get().registered_model.aliases.get(alias="champion").model_version.version == 2


def test_leaving_a_protected_stage_is_requested_as_a_removal(login, owner, gate_policy):
    response = login(owner).post(_stage(1), {"step": "review", "stage": "Archived"}, HTTP_HX_REQUEST="true")
    assert ">Request removal</button>" in response.content.decode()


def test_a_refused_request_is_shown_in_page_words(login, owner, pending):
    """A second request for the same change is refused on the panel, with no API endpoint in the message."""
    response = login(owner).post(_stage(2), {"step": "confirm", "stage": "Production"}, HTTP_HX_REQUEST="true")
    body = html.unescape(response.content.decode())
    assert f"Request promotion refused: An open review request (#{pending.pk}) already asks for Production" in body
    assert "/api/v1/" not in body


@pytest.mark.parametrize("aliases", [1, 8])
def test_the_version_page_and_its_confirmation_run_a_bounded_number_of_queries(login, owner, gate_policy, aliases,
                                                                               django_assert_max_num_queries):
    model = RegisteredModel.objects.get(name="iris_classifier")
    for number in range(aliases - 1):
        registered_model_alias_set(registered_model=model, alias=f"extra{number}", version_number=1, actor=owner,
                                   entry_point="page")
    client = login(owner)
    # session, user, the version (with its model), source run with metrics/params/tags, logged model, stage
    # history, policies (the panel's locks), the version's aliases and tags, the artifact listing: as many for
    # one alias as for eight.
    with django_assert_max_num_queries(16):
        assert client.get(reverse("models_app:modelversion", args=["iris_classifier", 1])).status_code == 200
    # The review step reads the version twice (before and after the would-be change) and the stranded aliases.
    with django_assert_max_num_queries(20):
        response = client.post(_stage(2), {"step": "review", "stage": "Production"}, HTTP_HX_REQUEST="true")
    assert ">Request promotion</button>" in response.content.decode()
