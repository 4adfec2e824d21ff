import base64
import hashlib

import pytest
from django.test import RequestFactory
from django.utils import timezone

from models_app.authentication import CredentialsError, user_from_authorization_header
from models_app.choices import AuditAction, EntryPoint
from models_app.models import ApiToken, AuditEvent
from models_app.services.tokens import api_token_authenticate, api_token_create
from tests.models_app.factories import UserFactory

pytestmark = pytest.mark.django_db


def _request():
    return RequestFactory().get("/api/2.0/mlflow/experiments/search")


def _basic(username, secret):
    return "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()


def test_it_stores_only_a_sha256_hash_of_the_token(owner):
    raw, token = api_token_create(user=owner, name="ci", entry_point=EntryPoint.PAGE)

    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert stored.key_prefix == raw[:12]
    assert raw not in (stored.key_hash, stored.name, stored.key_prefix)
    event = AuditEvent.objects.get(action=AuditAction.TOKEN_CREATED)
    assert raw not in str(event.details) and event.actor == owner


def test_it_authenticates_the_owner_of_a_token_and_notes_its_use(owner):
    raw, token = api_token_create(user=owner, entry_point=EntryPoint.PAGE)

    assert api_token_authenticate(raw) == owner
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_it_refuses_a_revoked_token(owner):
    raw, token = api_token_create(user=owner, entry_point=EntryPoint.PAGE)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    assert api_token_authenticate(raw) is None


def test_it_refuses_the_token_of_an_inactive_user():
    user = UserFactory()
    raw, _token = api_token_create(user=user, entry_point=EntryPoint.PAGE)
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert api_token_authenticate(raw) is None


def test_it_refuses_an_unknown_token(owner):
    api_token_create(user=owner, entry_point=EntryPoint.PAGE)

    assert api_token_authenticate("mgr_not-a-real-token") is None


def test_it_reads_a_bearer_token_header(owner):
    raw, _token = api_token_create(user=owner, entry_point=EntryPoint.PAGE)

    assert user_from_authorization_header(f"Bearer {raw}", request=_request()) == owner


def test_it_reads_basic_with_a_password():
    user = UserFactory(username="analyst")

    assert user_from_authorization_header(_basic("analyst", "user-pass"), request=_request()) == user


def test_it_reads_basic_with_a_token_as_password(owner):
    raw, _token = api_token_create(user=owner, entry_point=EntryPoint.PAGE)

    assert user_from_authorization_header(_basic("owner", raw), request=_request()) == owner


@pytest.mark.parametrize("header", [
    "Bearer mgr_wrong",
    _basic("owner", "wrong-pass"),
    _basic("nobody", "owner-pass"),
    "Basic %%%not-base64",
])
def test_it_refuses_wrong_credentials(owner, header):
    with pytest.raises(CredentialsError):
        user_from_authorization_header(header, request=_request())


def test_it_refuses_a_token_sent_under_another_username(owner, outsider):
    raw, _token = api_token_create(user=owner, entry_point=EntryPoint.PAGE)

    with pytest.raises(CredentialsError, match="for user 'outsider'"):
        user_from_authorization_header(_basic("outsider", raw), request=_request())


def test_it_refuses_basic_with_the_password_of_an_inactive_user(owner):
    owner.is_active = False
    owner.save(update_fields=["is_active"])

    with pytest.raises(CredentialsError):
        user_from_authorization_header(_basic("owner", "owner-pass"), request=_request())


def test_it_answers_none_without_a_header():
    assert user_from_authorization_header("", request=_request()) is None
