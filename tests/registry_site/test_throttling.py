"""Password guessing and request floods, as the attacker: login lockout (django-axes) and API rates (DRF throttles).

After REGISTRY_LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that pair is refused with
429 until the cool-off ends, the right password included, on every path that takes a password.
"""
import base64
import io

import pytest
from django.core.management import call_command
from django.test import Client

from models_app.choices import EntryPoint
from models_app.services.tokens import api_token_create

pytestmark = pytest.mark.django_db

GUESSES = 30
MLFLOW_URL = "/api/2.0/mlflow/experiments/search"
NATIVE_URL = "/api/v1/models/"


def _basic(username: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()}


def _login_page_guesses(client, url: str, username: str, password: str):
    for attempt in range(GUESSES):
        client.post(url, {"username": username, "password": f"guess-{attempt}"})
    return client.post(url, {"username": username, "password": password})


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_thirty_wrong_passwords_lock_the_login_pages_even_for_the_right_one(client, django_user_model, url):
    django_user_model.objects.create_superuser("victim", "victim@example.com", "victim-pass")

    response = _login_page_guesses(client, url, "victim", "victim-pass")

    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many failed logins" in body and "victim" in body and "15 minutes" in body
    assert "_auth_user_id" not in client.session
    assert "Content-Security-Policy" in response.headers


def test_the_lock_holds_one_username_from_one_address(client, owner, outsider):
    _login_page_guesses(client, "/accounts/login/", "owner", "owner-pass")

    other_user = client.post("/accounts/login/", {"username": "outsider", "password": "outsider-pass"})
    other_address = Client(REMOTE_ADDR="10.9.8.7").post(
        "/accounts/login/", {"username": "owner", "password": "owner-pass"})

    assert other_user.status_code == 302 and other_address.status_code == 302


def test_an_operator_lifts_a_lockout_with_the_axes_command(client, owner):
    _login_page_guesses(client, "/accounts/login/", "owner", "owner-pass")

    call_command("axes_reset_ip_username", "127.0.0.1", "owner", stdout=io.StringIO())

    assert client.post("/accounts/login/", {"username": "owner", "password": "owner-pass"}).status_code == 302


def test_the_login_page_allows_fewer_failures_than_the_limit(client, owner, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/accounts/login/", {"username": "owner", "password": f"guess-{attempt}"}).status_code == 200

    assert client.post("/accounts/login/", {"username": "owner", "password": "owner-pass"}).status_code == 302


def test_thirty_wrong_basic_passwords_lock_the_mlflow_api_even_for_the_right_one(client, owner):
    answers = [client.get(MLFLOW_URL, headers=_basic("owner", f"guess-{n}")).status_code for n in range(GUESSES)]

    response = client.get(MLFLOW_URL, headers=_basic("owner", "owner-pass"))

    assert answers[0] == 401 and answers[-1] == 429
    assert response.status_code == 429
    assert response.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert "Too many failed logins for user 'owner'" in response.json()["message"]


def test_a_locked_user_cannot_slip_in_with_a_token_under_basic(client, owner):
    raw, _token = api_token_create(user=owner, entry_point=EntryPoint.PAGE)
    for n in range(GUESSES):
        client.get(MLFLOW_URL, headers=_basic("owner", f"guess-{n}"))

    assert client.get(MLFLOW_URL, headers=_basic("owner", raw)).status_code == 429


def test_thirty_wrong_basic_passwords_lock_the_native_api_even_for_the_right_one(client, owner):
    for n in range(GUESSES):
        client.get(NATIVE_URL, headers=_basic("owner", f"guess-{n}"))

    response = client.get(NATIVE_URL, headers=_basic("owner", "owner-pass"))

    assert response.status_code == 429
    assert "Too many failed logins for user 'owner'" in response.json()["detail"]


def test_guessed_tokens_lock_bearer_authentication_from_that_address(client, owner):
    raw, _token = api_token_create(user=owner, entry_point=EntryPoint.PAGE)
    for n in range(GUESSES):
        client.get(MLFLOW_URL, headers={"Authorization": f"Bearer mgr_guess-{n}"})

    locked = client.get(MLFLOW_URL, headers={"Authorization": f"Bearer {raw}"})
    elsewhere = Client(REMOTE_ADDR="10.9.8.7").get(MLFLOW_URL, headers={"Authorization": f"Bearer {raw}"})

    assert locked.status_code == 429 and locked.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert elsewhere.status_code == 200


def test_a_locked_api_user_is_answered_without_checking_the_password(client, owner, django_assert_max_num_queries):
    for n in range(GUESSES):
        client.get(MLFLOW_URL, headers=_basic("owner", f"guess-{n}"))

    with django_assert_max_num_queries(0):
        assert client.get(MLFLOW_URL, headers=_basic("owner", "owner-pass")).status_code == 429


def test_the_mlflow_api_answers_429_in_mlflow_shape_over_the_rate(client, owner, outsider, settings):
    settings.REGISTRY_MLFLOW_API_THROTTLE_RATE = "5/minute"
    answers = [client.get(MLFLOW_URL, headers=_basic("owner", "owner-pass")) for _ in range(6)]

    assert [answer.status_code for answer in answers] == [200] * 5 + [429]
    assert answers[-1].json() == {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": answers[-1].json()["message"]}
    assert "the limit is 5/minute" in answers[-1].json()["message"]
    assert client.get(MLFLOW_URL, headers=_basic("outsider", "outsider-pass")).status_code == 200


def test_the_native_api_answers_429_over_the_per_user_rate(client, owner, outsider, settings):
    settings.REGISTRY_API_THROTTLE_RATE = "5/minute"
    answers = [client.get(NATIVE_URL, headers=_basic("owner", "owner-pass")).status_code for _ in range(6)]

    assert answers == [200] * 5 + [429]
    refused = client.get(NATIVE_URL, headers=_basic("owner", "owner-pass"))
    assert "throttled" in refused.json()["detail"] and refused.headers["Retry-After"]
    assert client.get(NATIVE_URL, headers=_basic("outsider", "outsider-pass")).status_code == 200


def test_anonymous_callers_are_counted_per_address(client, settings):
    settings.REGISTRY_ALLOW_ANONYMOUS = True
    settings.REGISTRY_MLFLOW_API_THROTTLE_RATE = "3/minute"
    answers = [client.get(MLFLOW_URL).status_code for _ in range(4)]

    assert answers == [200] * 3 + [429]
    assert Client(REMOTE_ADDR="10.9.8.7").get(MLFLOW_URL).status_code == 200


def test_a_forwarded_address_counts_only_behind_trusted_proxies(client, owner, settings):
    spoofed = {"X-Forwarded-For": "203.0.113.9"}
    for n in range(GUESSES):
        client.get(MLFLOW_URL, headers={**_basic("owner", f"guess-{n}"), **spoofed})
    # No trusted proxy: the header is the client's own words, so the socket's address was locked.
    assert client.get(MLFLOW_URL, headers=_basic("owner", "owner-pass")).status_code == 429

    settings.REGISTRY_TRUSTED_PROXY_HOPS = 1
    proxied = {"X-Forwarded-For": "198.51.100.1, 198.51.100.2"}
    assert client.get(MLFLOW_URL, headers={**_basic("owner", "owner-pass"), **proxied}).status_code == 200
