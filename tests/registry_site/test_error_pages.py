"""403, 404 and 500 pages in the site's layout (DEBUG off, as deployed), and a favicon that is found."""
import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.registry_site.error_urls")]
LAYOUT = ('<link rel="stylesheet" href="/static/css/registry.css">', '<header class="topbar">',
          '<a class="brand" href="/models/">Model registry</a>')


@pytest.fixture(autouse=True)
def _deployed(settings):
    settings.DEBUG = False


def _assert_in_layout(body: str, *texts: str) -> None:
    for text in (*LAYOUT, *texts):
        assert text in body


def test_an_unknown_page_is_a_styled_404_naming_the_address(client, owner):
    client.force_login(owner)
    response = client.get("/models/no-such-model/versions/7/")
    assert response.status_code == 404
    _assert_in_layout(response.content.decode(), "<title>Not found · Model registry</title>",
                      "This page does not exist", "<code>/models/no-such-model/versions/7/</code>",
                      "Log out")  # the signed-in user keeps the navigation


def test_a_refusal_is_a_styled_403_that_offers_a_login_to_anonymous_users(client, owner):
    anonymous = client.get("/test-errors/403/")
    assert anonymous.status_code == 403
    _assert_in_layout(anonymous.content.decode(), "You may not open this page",
                      'href="/accounts/login/?next=/test-errors/403/"')
    client.force_login(owner)
    signed_in = client.get("/test-errors/403/").content.decode()
    assert "Ask the model's owner or a governance admin for access." in signed_in and "Log in</a>" not in signed_in


def test_a_server_error_is_a_styled_500_without_the_error(owner):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    response = client.get("/test-errors/500/")
    assert response.status_code == 500
    body = response.content.decode()
    _assert_in_layout(body, "Something went wrong on our side")
    assert "a bug" not in body and "RuntimeError" not in body


def test_pages_link_a_favicon_that_exists_and_favicon_ico_redirects_to_it(client):
    assert finders.find("favicon.svg")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in \
        client.get("/accounts/login/").content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
