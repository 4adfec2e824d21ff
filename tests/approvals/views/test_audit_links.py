"""The audit log links governance events to their objects: review requests, validation runs, policies."""
import pytest
from django.urls import reverse

from approvals.services import policy_update, validation_run_create
from models_app.choices import EntryPoint

pytestmark = pytest.mark.django_db
URL = reverse("models_app:auditevent_list")


def _body(client, **filters) -> str:
    return client.get(URL, filters, HTTP_HX_REQUEST="true").content.decode()


def test_a_review_request_event_links_to_the_request(login, owner, pending):
    body = _body(login(owner), action="review_request.created")
    detail = reverse("approvals:reviewrequest_detail", args=[pending.pk])
    assert f'<a href="{detail}">review request #{pending.pk}</a>' in body
    assert "<dt>target</dt><dd>Production</dd>" in body and "<dt>policy</dt><dd>prod-gate</dd>" in body


def test_a_validation_run_event_links_to_the_run_on_its_version_page(login, owner, demo):
    run = validation_run_create(version=demo.versions[1], actor=owner, entry_point=EntryPoint.PAGE)
    body = _body(login(owner), action="validation_run.created")
    page = reverse("approvals:version_validation", args=["iris_classifier", 2])
    assert f'<a href="{page}#validation-run-{run.pk}">validation run #{run.pk}</a>' in body


def test_a_policy_change_links_to_the_policy_and_shows_what_changed(login, admin_user, gate_policy):
    policy_update(policy=gate_policy, actor=None, entry_point=EntryPoint.PAGE, required_approvals=2)
    # Policy events are registry-wide: governance admins see them.
    body = _body(login(admin_user), action="policy.updated")
    change = reverse("admin:approvals_approvalpolicy_change", args=[gate_policy.pk])
    assert f'<a href="{change}">approval policy #{gate_policy.pk}</a>' in body
    assert "<dt>required approvals</dt><dd>1 → 2</dd>" in body
    assert "<dt>name</dt><dd>prod-gate</dd>" in body and "<dt>before</dt>" not in body


@pytest.mark.parametrize("requests", [1, 30])
def test_governance_links_cost_no_query_per_row(login, owner, make_pending, django_assert_max_num_queries,
                                                requests):
    make_pending(requests)
    client = login(owner)
    # session, user, the viewer's governance-admin group (who sees the whole log), count, page of events
    with django_assert_max_num_queries(5):
        assert client.get(URL).status_code == 200
