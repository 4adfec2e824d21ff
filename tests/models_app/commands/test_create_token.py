from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from models_app.models import ApiToken, AuditEvent
from models_app.models.tokens import hash_token
from models_app.services.tokens import api_token_authenticate

pytestmark = pytest.mark.django_db


def _create_token(*args) -> str:
    out = StringIO()
    call_command("create_token", *args, stdout=out)
    return out.getvalue().strip()


def test_it_prints_a_token_that_authenticates_its_user(owner):
    raw = _create_token("owner")

    assert api_token_authenticate(raw) == owner


def test_it_stores_only_the_hash_and_a_prefix(owner):
    raw = _create_token("owner", "--name", "ci")

    token = ApiToken.objects.get()
    assert (token.user, token.name, token.key_hash, token.key_prefix) == (owner, "ci", hash_token(raw), raw[:12])
    assert raw not in str(list(ApiToken.objects.values()))


def test_it_records_the_command_as_entry_point(owner):
    _create_token("owner")

    event = AuditEvent.objects.get(action="token.created")
    assert (event.actor, event.entry_point) == (owner, "command")


def test_it_refuses_an_unknown_user_by_name():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        _create_token("nobody")
    assert not ApiToken.objects.exists()


def test_it_refuses_an_inactive_user(owner):
    owner.is_active = False
    owner.save()

    with pytest.raises(CommandError, match="'owner' is inactive"):
        _create_token("owner")
