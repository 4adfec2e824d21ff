"""A version's review requests and its "Request promotion" form, loaded into the version page by HTMX."""
import pytest
from django.urls import reverse

from approvals.models import ReviewRequest

pytestmark = pytest.mark.django_db


def _url(version=2):
    return reverse("approvals:version_requests", args=["iris_classifier", version])


def test_it_redirects_anonymous_users_to_login(client, gate_policy):
    assert client.get(_url()).status_code == 302
    assert client.post(_url(), {"stage": "Production"}).status_code == 302
    assert not ReviewRequest.objects.exists()


def test_the_version_page_loads_it_by_htmx_with_a_plain_link_fallback(login, owner, gate_policy):
    body = login(owner).get(reverse("models_app:modelversion", args=["iris_classifier", 2])).content.decode()
    assert f'hx-get="{_url()}"' in body and f'href="{_url()}"' in body


def test_it_answers_a_fragment_to_htmx_and_a_page_otherwise(login, owner, pending):
    client = login(owner)
    fragment = client.get(_url(), HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section class="card" id="version-review-requests"')
    assert f"#{pending.pk}" in fragment and "Request promotion" in fragment
    page = client.get(_url()).content.decode()
    assert "<html" in page and f"#{pending.pk}" in page


def test_it_opens_a_request_with_a_comment(login, outsider, gate_policy):
    response = login(outsider).post(_url(), {"stage": "Production", "comment": "ready"}, HTTP_HX_REQUEST="true")
    opened = ReviewRequest.objects.get()
    assert opened.requester == outsider and opened.comment == "ready" and opened.target_stage == "Production"
    assert f"Review request #{opened.pk} opened for Production." in response.content.decode()


def test_it_says_why_a_request_is_refused_and_keeps_the_form(login, owner, gate_policy):
    response = login(owner).post(_url(), {"stage": "Staging", "comment": "keep me"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "Request refused:" in body and "keep me" in body
    assert not ReviewRequest.objects.exists()


def test_a_plain_post_redirects_back_with_a_message(login, owner, gate_policy):
    response = login(owner).post(_url(), {"alias": "champion"}, follow=True)
    assert "opened for @champion" in response.content.decode()
    assert ReviewRequest.objects.get().target_alias == "champion"
