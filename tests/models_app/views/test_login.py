"""Logging in and out with Django's auth views and the dashboard's login template."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_renders_the_login_page(client):
    body = client.get("/accounts/login/").content.decode()
    assert 'name="username"' in body and 'name="password"' in body


def test_it_logs_in_and_lands_on_the_models_list(client, owner):
    response = client.post("/accounts/login/", {"username": "owner", "password": "owner-pass"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("models_app:registeredmodel_list")


def test_it_explains_a_wrong_password(client, owner):
    body = client.post("/accounts/login/", {"username": "owner", "password": "nope"}).content.decode()
    assert "did not match" in body


def test_it_logs_out_with_a_post(owner_client):
    response = owner_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert owner_client.get(reverse("models_app:registeredmodel_list")).status_code == 302
