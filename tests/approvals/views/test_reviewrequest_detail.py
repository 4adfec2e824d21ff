"""A review request's page: the full evidence, and the requester's cancel button."""
import pytest
from django.urls import reverse

from approvals.choices import ReviewRequestStatus
from approvals.models import ReviewRequest
from approvals.services import review_request_approve
from models_app.choices import EntryPoint

pytestmark = pytest.mark.django_db


def _url(request, name="reviewrequest_detail"):
    return reverse(f"approvals:{name}", args=[request.pk])


def test_it_redirects_anonymous_users_to_login(client, pending):
    assert client.get(_url(pending)).status_code == 302
    assert client.post(_url(pending, "reviewrequest_cancel")).status_code == 302
    assert ReviewRequest.objects.get().status == ReviewRequestStatus.PENDING


def test_it_shows_reviews_hash_policy_snapshot_and_status(login, reviewer, pending):
    review_request_approve(request=pending, actor=reviewer, entry_point=EntryPoint.PAGE, comment="fine by me")
    pending.refresh_from_db()
    body = login(reviewer).get(_url(pending)).content.decode()
    assert "reviewer</strong> approved" in body and "fine by me" in body
    assert pending.content_hash and pending.content_hash in body
    assert "Applied" in body and "Cancel request" not in body


def test_it_renders_the_policy_snapshot_as_readable_text(login, reviewer, pending):
    body = login(reviewer).get(_url(pending)).content.decode()
    policy = body[body.index("Policy at request time"):]
    assert "<dt>Protected stages</dt><dd>Production</dd>" in policy
    assert "<dt>Protected aliases</dt><dd>@champion</dd>" in policy
    assert "1 approval from members of group “prod-approvers”" in policy
    assert "no (separation of duties)" in policy
    for python_repr in ("['Production']", "True", "False", "None", "required_approvals", "approver_group_id"):
        assert python_repr not in policy


def test_an_applied_request_shows_the_champion_and_figures_recorded_when_it_was_opened(login, reviewer, pending,
                                                                                       django_assert_max_num_queries):
    """v2 replaced v1 in Production: the page still compares v2 with v1 (0.9), never with itself."""
    review_request_approve(request=pending, actor=reviewer, entry_point=EntryPoint.PAGE)
    pending.refresh_from_db()
    assert pending.status == ReviewRequestStatus.APPLIED
    client = login(reviewer)
    # session, user, request (readable check: model), request with joins, reviews, occupants (2), validation run
    # and its checks, then the page's nav: at most 14.
    with django_assert_max_num_queries(14):
        body = client.get(_url(pending)).content.decode()
    table = body[body.index('class="table metrics-compare"'):]
    table = table[:table.index("</table>")]
    assert "v2 (candidate)" in table and "v1 (Production then)" in table
    assert "0.9</td>" in table and "0.91</td>" in table
    assert "v2 (Production)" not in body and "(now: v2)" not in body


def test_it_lets_the_requester_cancel(login, owner, pending):
    client = login(owner)
    assert "Cancel request" in client.get(_url(pending)).content.decode()
    response = client.post(_url(pending, "reviewrequest_cancel"), {"comment": "wrong version"}, follow=True)
    assert "cancelled" in response.content.decode()
    assert ReviewRequest.objects.get().status == ReviewRequestStatus.CANCELLED


def test_it_shows_why_someone_else_cannot_cancel(login, outsider, pending):
    client = login(outsider)
    assert "Cancel request" not in client.get(_url(pending)).content.decode()
    response = client.post(_url(pending, "reviewrequest_cancel"), follow=True)
    assert "Not cancelled:" in response.content.decode()
    assert ReviewRequest.objects.get().status == ReviewRequestStatus.PENDING


def test_it_answers_404_for_an_unknown_request(login, owner):
    assert login(owner).get(reverse("approvals:reviewrequest_detail", args=[999])).status_code == 404
