import pytest
from django.urls import reverse

from models_app.models import AliasTransition, ApiToken, AuditChainHead, AuditEvent, StageTransition

pytestmark = pytest.mark.django_db

RECORDS = [AuditEvent, AuditChainHead, StageTransition, AliasTransition]


@pytest.mark.parametrize("model", RECORDS, ids=lambda model: model.__name__)
def test_it_refuses_to_add_change_or_delete_history_and_audit(admin_client, registry_rows, model):
    obj = model.objects.first()
    name = model._meta.model_name
    before = list(model.objects.values())

    assert admin_client.get(reverse(f"admin:models_app_{name}_add")).status_code == 403
    assert admin_client.post(reverse(f"admin:models_app_{name}_change", args=[obj.pk]), {}).status_code == 403
    assert admin_client.post(reverse(f"admin:models_app_{name}_delete", args=[obj.pk]), {"post": "yes"}
                             ).status_code == 403
    assert list(model.objects.values()) == before


def test_it_offers_no_bulk_delete_on_audit_events(admin_client, registry_rows):
    response = admin_client.get(reverse("admin:models_app_auditevent_changelist"))

    assert "delete_selected" not in response.context["cl"].model_admin.get_actions(response.wsgi_request)


def test_it_shows_only_the_token_prefix_and_never_the_hash(admin_client, registry_rows):
    token = ApiToken.objects.first()

    response = admin_client.get(reverse("admin:models_app_apitoken_change", args=[token.pk]))

    assert set(response.context["adminform"].form.fields) == {"name", "revoked_at"}
    content = response.content.decode()
    assert token.key_prefix in content and token.key_hash not in content
    assert admin_client.get(reverse("admin:models_app_apitoken_add")).status_code == 403
