import pytest
from django.contrib.auth.models import AnonymousUser, Group

from approvals.models import ModelPermission
from approvals.selectors import permission_level_of
from approvals.services import permission_remove, permission_set
from models_app.choices import AuditAction
from models_app.exceptions import InvalidParameter, NotFound, PermissionDenied
from models_app.governance import PermissionLevel as Level
from models_app.models import AuditEvent
from models_app.selectors.registry import registered_models_visible
from models_app.services.registry import registered_model_create, registered_model_rename
from models_app.services.stages import model_version_transition_stage
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db


def test_it_gives_the_creator_can_manage_and_audits_it(iris, owner):
    assert permission_level_of(user=owner, registered_model=iris) == Level.CAN_MANAGE
    event = AuditEvent.objects.get(action=AuditAction.PERMISSION_CHANGED)
    assert event.details["principal"] == "user:owner" and event.details["level"] == "CAN_MANAGE"


def test_it_grants_nothing_to_a_model_created_by_the_system():
    model = registered_model_create(name="system-made", actor=None, entry_point=API)
    assert not ModelPermission.objects.filter(registered_model=model).exists()


def test_it_takes_the_highest_of_default_user_and_group_grants(settings, iris, outsider):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_READ"
    assert permission_level_of(user=outsider, registered_model=iris) == Level.CAN_READ
    ModelPermission.objects.create(registered_model=iris, user=outsider, level=Level.CAN_EDIT)
    assert permission_level_of(user=outsider, registered_model=iris) == Level.CAN_EDIT
    group = Group.objects.create(name="ops")
    group.user_set.add(outsider)
    ModelPermission.objects.create(registered_model=iris, group=group, level=Level.CAN_MANAGE_STAGING_VERSIONS)
    assert permission_level_of(user=outsider, registered_model=iris) == Level.CAN_MANAGE_STAGING_VERSIONS


def test_it_lets_staff_superusers_and_the_system_do_everything(settings, iris, admin_user):
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
    assert permission_level_of(user=admin_user, registered_model=iris) == Level.CAN_MANAGE
    assert permission_level_of(user=None, registered_model=iris) == Level.CAN_MANAGE


@pytest.mark.parametrize(("allowed", "expected"), [(True, Level.CAN_READ), (False, Level.NONE)])
def test_it_gives_anonymous_users_at_most_can_read_when_allowed(settings, iris, allowed, expected):
    settings.REGISTRY_ALLOW_ANONYMOUS = allowed
    assert permission_level_of(user=AnonymousUser(), registered_model=iris) == expected


def test_it_refuses_with_the_model_the_level_held_and_the_level_needed(settings, iris, make_version, outsider):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_READ"
    version = make_version(iris)
    with pytest.raises(PermissionDenied) as refusal:
        model_version_transition_stage(version=version, to_stage="Production", actor=outsider, entry_point=API)
    assert refusal.value.message == (
        "User 'outsider' has CAN_READ on model 'iris_classifier'; moving a version into or out of Production "
        "needs CAN_MANAGE_PRODUCTION_VERSIONS."
    )


def test_any_signed_in_user_creates_a_model_and_manages_it_whatever_the_default(settings, outsider):
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
    model = registered_model_create(name="new-model", actor=outsider, entry_point=API)
    assert permission_level_of(user=outsider, registered_model=model) == Level.CAN_MANAGE


def test_an_anonymous_caller_cannot_create_a_model(settings):
    settings.REGISTRY_ALLOW_ANONYMOUS = True
    with pytest.raises(PermissionDenied, match="by default; creating a registered model needs CAN_EDIT"):
        registered_model_create(name="new-model", actor=AnonymousUser(), entry_point=API)


def test_it_refuses_permission_changes_to_users_without_can_manage(settings, iris, outsider, reviewer):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_READ"
    with pytest.raises(PermissionDenied, match="changing its permissions needs CAN_MANAGE"):
        permission_set(registered_model=iris, user=reviewer, level="CAN_EDIT", actor=outsider, entry_point=API)


def test_it_refuses_permission_changes_to_users_with_partial_rights(settings, iris, outsider, reviewer):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_READ"
    ModelPermission.objects.create(registered_model=iris, user=outsider, level=Level.CAN_MANAGE_PRODUCTION_VERSIONS)
    with pytest.raises(PermissionDenied, match="has CAN_MANAGE_PRODUCTION_VERSIONS on model 'iris_classifier'"):
        permission_set(registered_model=iris, user=reviewer, level="CAN_EDIT", actor=outsider, entry_point=API)


def test_it_lets_a_manager_grant_replace_and_remove_a_permission(iris, owner, reviewer):
    permission_set(registered_model=iris, user=reviewer, level="can_edit", actor=owner, entry_point=API)
    grant = permission_set(registered_model=iris, user=reviewer, level=Level.CAN_MANAGE_STAGING_VERSIONS,
                           actor=owner, entry_point=API)
    assert grant.level == Level.CAN_MANAGE_STAGING_VERSIONS
    assert ModelPermission.objects.filter(registered_model=iris, user=reviewer).count() == 1
    permission_remove(registered_model=iris, user=reviewer, actor=owner, entry_point=API)
    assert not ModelPermission.objects.filter(registered_model=iris, user=reviewer).exists()
    changes = AuditEvent.objects.filter(action=AuditAction.PERMISSION_CHANGED,
                                        object_id="iris_classifier:user:reviewer")
    assert [(event.details["previous_level"], event.details["level"]) for event in changes.order_by("id")] == [
        (None, "CAN_EDIT"), ("CAN_EDIT", "CAN_MANAGE_STAGING_VERSIONS"), ("CAN_MANAGE_STAGING_VERSIONS", None)]


def test_it_grants_to_groups(iris, owner, approvers, reviewer, settings):
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
    permission_set(registered_model=iris, group=approvers, level="CAN_MANAGE_PRODUCTION_VERSIONS", actor=owner,
                   entry_point=API)
    assert permission_level_of(user=reviewer, registered_model=iris) == Level.CAN_MANAGE_PRODUCTION_VERSIONS


@pytest.mark.parametrize("principals", [{}, {"both": True}])
def test_it_needs_exactly_one_principal(iris, owner, reviewer, approvers, principals):
    extra = {"user": reviewer, "group": approvers} if principals else {}
    with pytest.raises(InvalidParameter, match="exactly one of 'user' or 'group'"):
        permission_set(registered_model=iris, level="CAN_READ", actor=owner, entry_point=API, **extra)


def test_it_refuses_an_unknown_level(iris, owner, reviewer):
    with pytest.raises(InvalidParameter, match="Invalid permission level: 'CAN_FLY'"):
        permission_set(registered_model=iris, user=reviewer, level="CAN_FLY", actor=owner, entry_point=API)


def test_it_reports_removing_a_missing_grant(iris, owner, reviewer):
    with pytest.raises(NotFound, match="No permission for user:reviewer on model 'iris_classifier'"):
        permission_remove(registered_model=iris, user=reviewer, actor=owner, entry_point=API)


def test_it_hides_models_without_a_read_grant_when_the_default_is_below_can_read(settings, iris, outsider, owner):
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
    assert list(registered_models_visible(outsider)) == []
    assert list(registered_models_visible(owner)) == [iris]
    ModelPermission.objects.create(registered_model=iris, user=outsider, level=Level.CAN_READ)
    assert list(registered_models_visible(outsider)) == [iris]


def test_it_refuses_renames_below_can_manage(settings, iris, outsider):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_MANAGE_PRODUCTION_VERSIONS"
    with pytest.raises(PermissionDenied, match="managing it .* needs CAN_MANAGE"):
        registered_model_rename(registered_model=iris, new_name="other", actor=outsider, entry_point=API)
