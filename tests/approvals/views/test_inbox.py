"""The approvals inbox: who sees what, approving and rejecting in place, refusals with their reason, query bounds."""
import pytest
from django.urls import reverse

from approvals.choices import ReviewRequestStatus
from approvals.models import ReviewRequest
from models_app.models import ModelVersion

pytestmark = pytest.mark.django_db
INBOX = reverse("approvals:inbox")


def _decide_url(request, decision="approve"):
    return reverse(f"approvals:reviewrequest_{decision}", args=[request.pk])


def test_it_redirects_anonymous_users_to_login(client, pending):
    assert client.get(INBOX).status_code == 302
    response = client.post(_decide_url(pending), {"comment": "ok"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert ReviewRequest.objects.get().status == ReviewRequestStatus.PENDING


def test_it_shows_a_reviewer_the_request_with_its_evidence(login, reviewer, pending):
    body = login(reviewer).get(INBOX).content.decode()
    assert f'<tr id="review-request-{pending.pk}">' in body
    assert "v2 is more accurate" in body and "owner" in body and "0 / 1" in body
    assert "accuracy" in body and "0.91" in body and "0.9<" in body  # v2's metrics against v1's, in Production


def test_the_nav_loads_the_pending_count_lazily(client, login, reviewer, outsider, pending):
    count_url = reverse("approvals:inbox_count")
    assert client.get(count_url).status_code == 302
    page = login(reviewer).get(reverse("models_app:registeredmodel_list")).content.decode()
    assert f'hx-get="{count_url}"' in page
    assert 'id="approvals-pending-count"' in login(reviewer).get(count_url).content.decode()
    assert ">1</span>" in login(reviewer).get(count_url).content.decode()
    assert ">0</span>" in login(outsider).get(count_url).content.decode()
    on_models_page = login(reviewer).get(count_url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://t/models/")
    assert 'aria-current="page"' not in on_models_page.content.decode()
    on_inbox = login(reviewer).get(count_url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://t{INBOX}")
    assert 'aria-current="page"' in on_inbox.content.decode()


def test_it_hides_the_request_from_its_requester_and_from_non_approvers(login, owner, outsider, pending):
    for user in (owner, outsider):
        body = login(user).get(INBOX).content.decode()
        assert f'id="review-request-{pending.pk}"' not in body and "Nothing awaits your review." in body
    assert "v2" in login(owner).get(INBOX).content.decode()  # under "My requests"


def test_it_approves_in_place_and_updates_the_counter_out_of_band(login, reviewer, pending):
    response = login(reviewer).post(_decide_url(pending), {"comment": "numbers look right"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="review-request-{pending.pk}">')
    assert "approved" in body and "<html" not in body
    assert 'hx-swap-oob="true"' in body and ">0</span>" in body
    assert ModelVersion.objects.get(version=2).stage == "Production"
    assert pending.reviews.get().comment == "numbers look right"


def test_a_decision_in_place_moves_the_request_to_recently_decided_out_of_band(login, reviewer, pending):
    client = login(reviewer)
    assert "No decided requests yet." in client.get(INBOX).content.decode()

    body = client.post(_decide_url(pending, "reject"), {"comment": "not yet"}, HTTP_HX_REQUEST="true").content.decode()

    decided = body[body.index('<template><section class="card" id="inbox-decided"'):]
    assert decided.startswith('<template><section class="card" id="inbox-decided" aria-labelledby="decided-title" '
                              'hx-swap-oob="true">')
    assert f'href="/approvals/requests/{pending.pk}/">#{pending.pk}</a>' in decided and "Rejected" in decided
    assert "No decided requests yet." not in decided


def test_it_rejects_with_a_plain_post_and_redirects_to_the_inbox(login, reviewer, pending):
    response = login(reviewer).post(_decide_url(pending, "reject"), {"comment": "not yet"})
    assert response.status_code == 302 and response["Location"] == INBOX
    assert ReviewRequest.objects.get().status == ReviewRequestStatus.REJECTED
    assert ModelVersion.objects.get(version=2).stage == "None"


def test_it_shows_a_non_approver_why_approval_is_refused(login, outsider, pending):
    response = login(outsider).post(_decide_url(pending), {"comment": "me too"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "Not approved:" in body and "prod-approvers" in body
    assert ReviewRequest.objects.get().status == ReviewRequestStatus.PENDING


def test_it_shows_the_requester_why_self_approval_is_refused_as_a_message(login, owner, pending):
    response = login(owner).post(_decide_url(pending), {"comment": "mine"}, follow=True)
    body = response.content.decode()
    assert response.status_code == 200 and "Not approved:" in body
    assert ReviewRequest.objects.get().status == ReviewRequestStatus.PENDING


@pytest.mark.parametrize("count", [1, 50])
def test_it_bounds_the_inbox_queries(login, reviewer, make_pending, django_assert_max_num_queries, count):
    make_pending(count)
    client = login(reviewer)
    with django_assert_max_num_queries(16):
        body = client.get(INBOX).content.decode()
    assert body.count('<tr id="review-request-') == count
