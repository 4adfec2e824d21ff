import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

REGISTRY_ADMINS = sorted(
    model._meta.model_name for model in admin.site._registry if model._meta.app_label == "models_app"
)


def test_it_registers_every_registry_model():
    from django.apps import apps

    registered = {model for model in admin.site._registry if model._meta.app_label == "models_app"}
    assert registered == set(apps.get_app_config("models_app").get_models())


@pytest.mark.parametrize("model_name", REGISTRY_ADMINS)
def test_it_renders_each_changelist_with_bounded_queries(admin_client, registry_rows, django_assert_max_num_queries,
                                                          model_name):
    # session, user, the filtered count, the total count, the page's rows (foreign keys joined), and up
    # to three more for list filters and actions: none of them grows with the number of rows.
    with django_assert_max_num_queries(8):
        response = admin_client.get(reverse(f"admin:models_app_{model_name}_changelist"))

    assert response.status_code == 200
    # The audit chain has exactly one head row; every other table has several.
    assert response.context["cl"].result_count >= (1 if model_name == "auditchainhead" else 2)


@pytest.mark.parametrize("model_name", ["experiment", "run", "loggedmodel", "registeredmodel", "modelversion",
                                        "auditevent", "stagetransition", "apitoken"])
def test_it_renders_change_forms_with_inlines(admin_client, registry_rows, model_name):
    model = next(model for model in admin.site._registry if model._meta.model_name == model_name)
    obj = model.objects.first()

    response = admin_client.get(reverse(f"admin:models_app_{model_name}_change", args=[obj.pk]))

    assert response.status_code == 200


def test_the_admin_index_names_every_model_in_plain_english(admin_client):
    body = admin_client.get(reverse("admin:index")).content.decode()
    assert "Registered model aliases" in body and "API tokens" in body
    assert "aliass" not in body and "Api tokens" not in body


@pytest.fixture
def staff_without_grants(django_user_model, settings):
    """A staff user allowed to view every registry table, holding no grant on any model or experiment."""
    from django.contrib.auth.models import Permission

    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
    settings.REGISTRY_DEFAULT_EXPERIMENT_PERMISSION = "NO_PERMISSIONS"
    user = django_user_model.objects.create_user("staffer", "staffer@example.com", "pass", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.mark.parametrize("model_name", [*REGISTRY_ADMINS, "approvals.experimentpermission",
                                        "approvals.modelpermission", "approvals.approvalpolicy",
                                        "approvals.reviewrequest"])
def test_staff_see_no_row_of_what_they_cannot_read(client, registry_rows, staff_without_grants, model_name,
                                                   django_assert_max_num_queries):
    app, _, name = model_name.rpartition(".")
    client.force_login(staff_without_grants)
    # The audit log's three list filters each read their choices from the filtered log.
    with django_assert_max_num_queries(18 if name == "auditevent" else 10):
        response = client.get(reverse(f"admin:{app or 'models_app'}_{name}_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0, model_name
