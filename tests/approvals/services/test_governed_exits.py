"""Leaving is governed like entering: demoting, archiving, deleting the version that holds a protected stage or
alias, removing a protected alias, deleting or renaming a governed model each need an approved review request
(which applies the change) or a governance admin's audited break-glass. Written as the attempts of a user who
holds every permission level on the model but no approval."""
import pytest

from approvals.choices import ReviewAction
from approvals.choices import ReviewRequestStatus as Status
from approvals.models import ReviewRequest
from approvals.services import permission_set, policy_create, review_request_approve, review_request_create
from models_app.choices import AuditAction
from models_app.exceptions import InvalidParameter, PermissionDenied
from models_app.governance import PermissionLevel
from models_app.models import AuditEvent, ModelVersion, RegisteredModel, RegisteredModelAlias
from models_app.services.registry import (
    model_version_delete,
    registered_model_create,
    registered_model_delete,
    registered_model_rename,
)
from models_app.services.stages import (
    model_version_transition_stage,
    registered_model_alias_delete,
    registered_model_alias_set,
)
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db


@pytest.fixture
def champion(prod_policy, iris, make_version, admin_user):
    """v1 of iris in Production and behind @champion, put there with an audited break-glass."""
    version = make_version(iris)
    model_version_transition_stage(version=version, to_stage="Production", actor=admin_user, entry_point=API,
                                   force_reason="initial release")
    registered_model_alias_set(registered_model=iris, alias="champion", version_number=version.version,
                               actor=admin_user, entry_point=API, force_reason="initial release")
    version.refresh_from_db()
    return version


def _exits(iris, version, owner, **force):
    """Each exit a user may try directly, by name (`force`: a force_reason to try with)."""
    return {
        "demote to None": lambda: model_version_transition_stage(version=version, to_stage="None", actor=owner,
                                                                 entry_point=API, **force),
        "archive": lambda: model_version_transition_stage(version=version, to_stage="Archived", actor=owner,
                                                          entry_point=API, **force),
        "move to Staging": lambda: model_version_transition_stage(version=version, to_stage="Staging", actor=owner,
                                                                  entry_point=API, **force),
        "delete the version": lambda: model_version_delete(version=version, actor=owner, entry_point=API, **force),
        "delete @champion": lambda: registered_model_alias_delete(registered_model=iris, alias="champion",
                                                                  actor=owner, entry_point=API, **force),
        "delete the model": lambda: registered_model_delete(registered_model=iris, actor=owner, entry_point=API,
                                                            **force),
        "rename the model": lambda: registered_model_rename(registered_model=iris, new_name="iris_v2", actor=owner,
                                                            entry_point=API, **force),
    }


EXITS = ["demote to None", "archive", "move to Staging", "delete the version", "delete @champion",
         "delete the model", "rename the model"]


@pytest.mark.parametrize("exit_name", EXITS)
def test_every_exit_is_refused_without_an_approved_request(champion, iris, owner, exit_name):
    with pytest.raises(PermissionDenied) as refusal:
        _exits(iris, champion, owner)[exit_name]()
    assert "Policy 'prod-gate' protects" in refusal.value.message
    assert "needs 2 approval(s) from group 'prod-approvers'" in refusal.value.message
    assert "Open a review request: POST /api/v1/review-requests/ with" in refusal.value.message
    champion.refresh_from_db()
    assert champion.stage == "Production"
    assert RegisteredModelAlias.objects.get(registered_model__name="iris_classifier").model_version == champion


def test_the_refusal_names_the_request_to_open(champion, iris, owner):
    with pytest.raises(PermissionDenied) as refusal:
        model_version_transition_stage(version=champion, to_stage="Archived", actor=owner, entry_point=API)
    assert refusal.value.message == (
        "Policy 'prod-gate' protects stage Production of model 'iris_classifier': moving version 1 out of Production "
        "(to Archived) needs 2 approval(s) from group 'prod-approvers'. Open a review request: POST "
        '/api/v1/review-requests/ with {"model": "iris_classifier", "version": 1, "stage": "Archived"}.')


@pytest.mark.parametrize("exit_name", EXITS)
def test_a_non_admin_cannot_break_glass(champion, iris, owner, exit_name):
    with pytest.raises(PermissionDenied, match="Only governance admins can break glass on policy 'prod-gate'"):
        _exits(iris, champion, owner, force_reason="trust me")[exit_name]()
    assert ModelVersion.objects.filter(pk=champion.pk, stage="Production").exists()


def test_a_governance_admin_breaks_glass_with_a_reason_and_it_is_audited(champion, iris, admin_user):
    model_version_transition_stage(version=champion, to_stage="Archived", actor=admin_user, entry_point=API,
                                   force_reason="incident 7: model leaks PII")
    registered_model_alias_delete(registered_model=iris, alias="champion", actor=admin_user, entry_point=API,
                                  force_reason="incident 7: model leaks PII")
    events = AuditEvent.objects.filter(action=AuditAction.GATE_BYPASSED,
                                       details__force_reason="incident 7: model leaks PII").order_by("id")
    assert [event.details["change"] for event in events] == [
        "moving version 1 out of Production (to Archived)", "removing alias @champion"]
    assert {event.actor_name for event in events} == {"admin"}
    stage_event = AuditEvent.objects.filter(action=AuditAction.MODEL_VERSION_STAGE_CHANGED).latest("id")
    assert stage_event.details["force_reason"] == "incident 7: model leaks PII"


def _approve(request, user_named):
    for name in ("reviewer", "reviewer2"):
        request = review_request_approve(request=request, actor=user_named(name), entry_point=API)
    request.refresh_from_db()
    return request


def test_a_demotion_is_applied_by_its_approved_request_without_validation(champion, iris, owner, user_named):
    request = review_request_create(version=champion, actor=owner, entry_point=API, stage="Archived",
                                    comment="retire v1")
    assert request.target_label == "remove from Production (to Archived)"
    assert not request.validation_runs.exists()  # leaving is judged by the reviewers: nothing enters
    request = _approve(request, user_named)
    champion.refresh_from_db()
    assert (request.status, champion.stage) == (Status.APPLIED, "Archived")
    assert not champion.tags.filter(key="approved_by").exists()  # the tag vouches for promotions only


def test_removing_a_protected_alias_is_applied_by_its_approved_request(champion, iris, owner, user_named):
    request = review_request_create(registered_model=iris, action=ReviewAction.REMOVE_ALIAS, alias="champion",
                                    actor=owner, entry_point=API)
    assert (request.model_version, request.target_label) == (champion, "remove @champion")
    _approve(request, user_named)
    assert not RegisteredModelAlias.objects.filter(alias="champion").exists()


def test_deleting_a_governed_version_and_model_need_reviewers_who_manage_the_model(champion, iris, owner,
                                                                                   user_named):
    request = review_request_create(version=champion, action=ReviewAction.DELETE_VERSION, actor=owner,
                                    entry_point=API)
    with pytest.raises(PermissionDenied, match="reviewing 'delete version 1' needs CAN_MANAGE"):
        review_request_approve(request=request, actor=user_named("reviewer"), entry_point=API)


def test_deleting_a_governed_version_is_applied_by_its_approved_request(champion, iris, owner, user_named,
                                                                        approvers_manage):
    request = review_request_create(version=champion, action=ReviewAction.DELETE_VERSION, actor=owner,
                                    entry_point=API)
    request = _approve(request, user_named)
    assert request.status == Status.APPLIED
    assert not ModelVersion.objects.filter(pk=champion.pk).exists()
    deleted = AuditEvent.objects.get(action=AuditAction.MODEL_VERSION_DELETED)
    assert deleted.details["review_request_id"] == request.pk


@pytest.fixture
def approvers_manage(iris, approvers):
    permission_set(registered_model=iris, group=approvers, level=PermissionLevel.CAN_MANAGE, actor=None,
                   entry_point=API)


def test_renaming_a_governed_model_is_applied_by_its_approved_request(champion, iris, owner, user_named,
                                                                      approvers_manage):
    rename = review_request_create(registered_model=iris, action=ReviewAction.RENAME_MODEL, new_name="iris_v2",
                                   actor=owner, entry_point=API)
    assert _approve(rename, user_named).status == Status.APPLIED
    iris.refresh_from_db()
    assert iris.name == "iris_v2"
    renamed = AuditEvent.objects.get(action=AuditAction.REGISTERED_MODEL_RENAMED)
    assert renamed.details["review_request_id"] == rename.pk


def test_deleting_a_governed_model_is_applied_by_its_approved_request(champion, iris, owner, user_named,
                                                                      approvers_manage):
    deletion = review_request_create(registered_model=iris, action=ReviewAction.DELETE_MODEL, actor=owner,
                                     entry_point=API)
    for name in ("reviewer", "reviewer2"):
        review_request_approve(request=ReviewRequest.objects.get(pk=deletion.pk), actor=user_named(name),
                               entry_point=API)
    assert not RegisteredModel.objects.filter(pk=iris.pk).exists()
    applied = AuditEvent.objects.filter(action=AuditAction.REVIEW_APPLIED, object_id=str(deletion.pk)).get()
    assert applied.details["target"] == "delete the model"
    assert AuditEvent.objects.get(action=AuditAction.REGISTERED_MODEL_DELETED).details["review_request_id"] == (
        deletion.pk)


def test_renaming_an_ungoverned_model_onto_a_governed_name_is_governed(admin_user, owner, make_version):
    policy_create(name="fraud", model_pattern="fraud-*", protected_stages=["Production"], actor=admin_user,
                  entry_point=API)
    model = registered_model_create(name="scratch", actor=owner, entry_point=API)
    model_version_transition_stage(version=make_version(model), to_stage="Production", actor=owner, entry_point=API)
    with pytest.raises(PermissionDenied, match="Policy 'fraud' protects the model of model 'scratch': renaming it "
                                               "to 'fraud-scorer'"):
        registered_model_rename(registered_model=model, new_name="fraud-scorer", actor=owner, entry_point=API)


def test_exits_of_what_no_policy_protects_stay_direct(champion, iris, owner, make_version):
    other = make_version(iris)
    model_version_transition_stage(version=other, to_stage="Staging", actor=owner, entry_point=API)
    model_version_transition_stage(version=other, to_stage="Archived", actor=owner, entry_point=API)
    model_version_delete(version=other, actor=owner, entry_point=API)
    with pytest.raises(InvalidParameter, match="holds no protected stage or alias; delete it directly"):
        review_request_create(version=make_version(iris), action=ReviewAction.DELETE_VERSION, actor=owner,
                              entry_point=API)


def test_an_exit_request_goes_stale_when_the_version_moves_otherwise(champion, iris, owner, user_named,
                                                                     make_version, admin_user):
    retire = review_request_create(version=champion, actor=owner, entry_point=API, stage="Archived")
    remove = review_request_create(registered_model=iris, action=ReviewAction.REMOVE_ALIAS, alias="champion",
                                   actor=owner, entry_point=API)
    successor = make_version(iris)
    model_version_transition_stage(version=successor, to_stage="Production", actor=admin_user, entry_point=API,
                                   force_reason="hotfix", archive_existing=True)
    registered_model_alias_set(registered_model=iris, alias="champion", version_number=successor.version,
                               actor=admin_user, entry_point=API, force_reason="hotfix")
    retire.refresh_from_db()
    remove.refresh_from_db()
    assert (retire.status, retire.status_message) == (Status.SUPERSEDED, "version 1 moved from Production to Archived")
    assert (remove.status, remove.status_message) == (Status.SUPERSEDED, "@champion now points to version 2")
