import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from models_app.choices import EntryPoint
from models_app.exceptions import PermissionDenied
from models_app.governance import Governance
from models_app.models import AuditEvent, ModelVersion, RegisteredModel, StageTransition
from models_app.services import registry

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:models_app_modelversion_changelist")


@pytest.fixture
def version(owner):
    registry.registered_model_create(name="fraud", actor=owner, entry_point=EntryPoint.NATIVE_API)
    return registry.model_version_create(name="fraud", source="mlflow-artifacts:/0/fraud", actor=owner,
                                         entry_point=EntryPoint.NATIVE_API)


@pytest.fixture
def refusing_gate(governance):
    class RefusingGate(Governance):
        def check_stage_change(self, change):
            raise PermissionDenied("Production needs an approved review request.")

    governance(RefusingGate())


def _act(client, action: str, *versions):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [v.pk for v in versions]}, follow=True)


def test_it_moves_a_version_through_the_stage_service(admin_client, admin_user, version):
    response = _act(admin_client, "move_to_production", version)

    version.refresh_from_db()
    assert (response.status_code, version.stage, version.holds_exclusive_stage) == (200, "Production", True)
    transition = StageTransition.objects.get()
    assert (transition.from_stage, transition.to_stage) == ("None", "Production")
    assert (transition.entry_point, transition.actor) == ("admin", admin_user)
    assert AuditEvent.objects.filter(action="model_version.stage_changed", entry_point="admin").exists()


def test_it_archives_the_previous_occupant_like_every_entry_point(admin_client, owner, version):
    second = registry.model_version_create(name="fraud", source="mlflow-artifacts:/0/fraud2", actor=owner,
                                           entry_point=EntryPoint.NATIVE_API)
    _act(admin_client, "move_to_staging", version)
    _act(admin_client, "move_to_staging", second)

    assert dict(ModelVersion.objects.values_list("version", "stage")) == {1: "Archived", 2: "Staging"}


def test_it_reports_a_refused_move_instead_of_failing(admin_client, version, refusing_gate):
    response = _act(admin_client, "move_to_production", version)

    assert response.status_code == 200
    messages = [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    assert ("error", "fraud v1 was not moved to Production: Production needs an approved review request.") in messages
    version.refresh_from_db()
    assert version.stage == "None"
    assert not StageTransition.objects.exists()


def test_it_shows_the_stage_read_only_on_the_change_form(admin_client, version):
    url = reverse("admin:models_app_modelversion_change", args=[version.pk])

    form = admin_client.get(url).context["adminform"].form
    assert set(form.fields) == {"description"}

    admin_client.post(url, {"description": "scores payments", "stage": "Production", "holds_exclusive_stage": "on",
                            "tags-TOTAL_FORMS": "0", "tags-INITIAL_FORMS": "0"})
    version.refresh_from_db()
    assert (version.stage, version.description) == ("None", "scores payments")
    event = AuditEvent.objects.get(action="model_version.description_changed")
    assert event.entry_point == "admin"


def test_it_deletes_a_version_through_the_registry_service(admin_client, version):
    url = reverse("admin:models_app_modelversion_delete", args=[version.pk])

    admin_client.post(url, {"post": "yes"})

    assert not ModelVersion.objects.exists()
    event = AuditEvent.objects.get(action="model_version.deleted")
    assert (event.entry_point, event.object_id) == ("admin", "fraud/1")


def test_it_deletes_a_registered_model_through_the_registry_service(admin_client, version):
    model = version.registered_model
    url = reverse("admin:models_app_registeredmodel_delete", args=[model.pk])

    admin_client.post(url, {"post": "yes"})

    assert not RegisteredModel.objects.exists()
    event = AuditEvent.objects.get(action="registered_model.deleted")
    assert (event.entry_point, event.details) == ("admin", {"versions": [1]})
