import pytest

from approvals.choices import ReviewRequestStatus as Status
from approvals.models import ModelPermission, Review
from approvals.services import (
    policy_update,
    review_request_approve,
    review_request_cancel,
    review_request_create,
    review_request_reject,
)
from models_app.choices import AuditAction, EntryPoint
from models_app.exceptions import AlreadyExists, InvalidParameter, InvalidState, PermissionDenied
from models_app.governance import PermissionLevel as Level
from models_app.models import AuditEvent, StageTransition
from models_app.services.audit import audit_chain_verify
from models_app.services.audit_checkpoint import audit_checkpoint_write
from models_app.services.registry import model_version_delete
from models_app.services.stages import model_version_transition_stage
from tests.approvals.conftest import API, revoke_approvers

pytestmark = pytest.mark.django_db


def _tags(version) -> dict:
    return dict(version.tags.values_list("key", "value"))


def _ask(version, actor, **target):
    return review_request_create(version=version, actor=actor, entry_point=API, comment="ready",
                                 **(target or {"stage": "Production"}))


def _approve(request, actor, comment="looks good"):
    return review_request_approve(request=request, actor=actor, entry_point=API, comment=comment)


def test_it_applies_a_promotion_once_two_of_three_approvers_agree(prod_policy, iris, make_version, owner, user_named):
    version = make_version(iris)
    request = _ask(version, owner)
    assert _approve(request, user_named("reviewer")).status == Status.PENDING
    version.refresh_from_db()
    assert version.stage == "None"

    request = _approve(request, user_named("reviewer2"))

    version.refresh_from_db()
    assert (request.status, version.stage) == (Status.APPLIED, "Production")
    tags = _tags(version)
    assert tags["approved_by"] == "reviewer,reviewer2" and tags["review_request"] == str(request.pk)
    assert tags["approved_at"] == request.applied_at.isoformat()
    move = StageTransition.objects.get(version=version.version, to_stage="Production")
    assert (move.entry_point, move.review_request_id, move.actor_name) == (EntryPoint.REVIEW_REQUEST, request.pk,
                                                                          "reviewer2")


def test_it_records_the_request_with_its_policy_snapshot_and_content_hash(prod_policy, iris, make_version, owner):
    version = make_version(iris)
    request = _ask(version, owner)
    assert request.policy_snapshot["name"] == "prod-gate" and request.policy_snapshot["required_approvals"] == 2
    assert request.content_hash == version.content_hash and len(request.content_hash) == 64
    event = AuditEvent.objects.get(action=AuditAction.REVIEW_REQUESTED)
    assert event.object_id == str(request.pk) and event.details["comment"] == "ready"


def test_it_says_to_transition_directly_when_no_policy_protects_the_target(iris, make_version, owner):
    with pytest.raises(InvalidParameter) as refusal:
        _ask(make_version(iris), owner)
    assert refusal.value.message == (
        "No policy protects Production for model 'iris_classifier'; transition it directly.")


def test_it_refuses_a_second_open_request_for_the_same_version_and_target(prod_policy, iris, make_version, owner):
    version = make_version(iris)
    first = _ask(version, owner)
    with pytest.raises(AlreadyExists, match=f"An open review request \\(#{first.pk}\\) already asks"):
        _ask(version, owner)


def test_it_needs_a_target(prod_policy, iris, make_version, owner):
    with pytest.raises(InvalidParameter, match="targets a 'stage', an 'alias', or both"):
        review_request_create(version=make_version(iris), actor=owner, entry_point=API)


def test_it_refuses_requests_from_users_who_cannot_read_the_model(settings, prod_policy, iris, make_version, outsider):
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
    with pytest.raises(PermissionDenied, match="has NONE on model 'iris_classifier'; asking for a review needs"):
        _ask(make_version(iris), outsider)


def test_it_lets_a_reader_ask_for_a_review(settings, prod_policy, iris, make_version, outsider):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_READ"
    assert _ask(make_version(iris), outsider).requester == outsider


def test_it_refuses_self_approval(prod_policy, iris, make_version, user_named):
    request = _ask(make_version(iris), user_named("reviewer"))
    with pytest.raises(PermissionDenied) as refusal:
        _approve(request, user_named("reviewer"))
    assert refusal.value.message == (
        "Separation of duties: you requested this change and policy 'prod-gate' does not allow self-approval.")


def test_it_allows_self_approval_when_the_policy_does(prod_policy, iris, make_version, owner, user_named):
    policy_update(policy=prod_policy, actor=None, entry_point=API, allow_self_approval=True, required_approvals=1)
    request = _approve(_ask(make_version(iris), user_named("reviewer")), user_named("reviewer"))
    assert request.status == Status.APPLIED


def test_it_refuses_approvers_outside_the_policy_group(prod_policy, iris, make_version, owner, outsider):
    request = _ask(make_version(iris), owner)
    with pytest.raises(PermissionDenied, match="Only members of group 'prod-approvers' may review"):
        _approve(request, outsider)


def test_it_refuses_group_members_without_the_manage_level(settings, prod_policy, iris, make_version, owner, reviewer):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_READ"
    revoke_approvers(iris, prod_policy.approver_group)
    request = _ask(make_version(iris), owner)
    with pytest.raises(PermissionDenied, match="reviewing .Production. needs CAN_MANAGE_PRODUCTION_VERSIONS"):
        _approve(request, reviewer)
    ModelPermission.objects.create(registered_model=iris, group=prod_policy.approver_group,
                                   level=Level.CAN_MANAGE_PRODUCTION_VERSIONS)
    assert _approve(request, reviewer).reviews.count() == 1


def test_it_accepts_the_staging_level_for_staging_requests(settings, prod_policy, iris, make_version, owner, reviewer):
    settings.REGISTRY_DEFAULT_PERMISSION = "CAN_READ"
    policy_update(policy=prod_policy, actor=None, entry_point=API, protected_stages=["Staging"], required_approvals=1)
    ModelPermission.objects.create(registered_model=iris, user=reviewer, level=Level.CAN_MANAGE_STAGING_VERSIONS)
    request = _approve(_ask(make_version(iris), owner, stage="Staging"), reviewer)
    assert request.status == Status.APPLIED and request.model_version.stage == "Staging"


def test_it_lets_each_reviewer_decide_once(prod_policy, iris, make_version, owner, reviewer):
    request = _approve(_ask(make_version(iris), owner), reviewer)
    with pytest.raises(AlreadyExists, match="You already reviewed request .* each reviewer decides once"):
        review_request_reject(request=request, actor=reviewer, entry_point=API)
    assert Review.objects.filter(request=request).count() == 1


def test_it_ends_the_request_on_a_rejection_after_one_approval(prod_policy, iris, make_version, owner, user_named):
    version = make_version(iris)
    request = _approve(_ask(version, owner), user_named("reviewer"))
    request = review_request_reject(request=request, actor=user_named("reviewer2"), entry_point=API, comment="no")
    assert request.status == Status.REJECTED and request.decided_at is not None
    with pytest.raises(InvalidState, match="is REJECTED"):
        _approve(request, user_named("reviewer3"))
    version.refresh_from_db()
    assert version.stage == "None"
    assert AuditEvent.objects.filter(action=AuditAction.REVIEW_REJECTED, details__comment="no").exists()


def test_it_lets_the_requester_or_a_manager_cancel(prod_policy, iris, make_version, owner, outsider, reviewer):
    mine = _ask(make_version(iris), outsider)
    assert review_request_cancel(request=mine, actor=outsider, entry_point=API).status == Status.CANCELLED
    theirs = _ask(make_version(iris), reviewer)
    with pytest.raises(PermissionDenied, match="cancelling someone else's review request needs CAN_MANAGE"):
        review_request_cancel(request=theirs, actor=outsider, entry_point=API)
    assert review_request_cancel(request=theirs, actor=owner, entry_point=API).status == Status.CANCELLED
    with pytest.raises(InvalidState, match="is CANCELLED"):
        review_request_cancel(request=theirs, actor=owner, entry_point=API)


def test_it_supersedes_other_requests_for_the_target_once_one_is_applied(prod_policy, iris, make_version, owner,
                                                                           user_named):
    first, second = make_version(iris), make_version(iris)
    winner, loser = _ask(first, owner), _ask(second, owner)
    _approve(winner, user_named("reviewer"))
    _approve(winner, user_named("reviewer2"))
    loser.refresh_from_db()
    assert loser.status == Status.SUPERSEDED
    assert loser.status_message == f"review request #{winner.pk} put version {first.version} in Production"
    assert AuditEvent.objects.filter(action=AuditAction.REVIEW_SUPERSEDED, object_id=str(loser.pk)).exists()


def test_it_supersedes_a_request_whose_version_moved_away(prod_policy, iris, make_version, owner):
    version = make_version(iris)
    request = _ask(version, owner)
    model_version_transition_stage(version=version, to_stage="Staging", actor=owner, entry_point=API)
    request.refresh_from_db()
    assert request.status == Status.SUPERSEDED
    assert request.status_message == f"version {version.version} moved from None to Staging"


def test_it_supersedes_the_requests_of_a_deleted_version_at_once(prod_policy, iris, make_version, owner):
    kept, deleted = make_version(iris), make_version(iris)
    about_deleted = [_ask(deleted, owner), _ask(deleted, owner, alias="champion")]
    about_kept = _ask(kept, owner)
    model_version_delete(version=deleted, actor=owner, entry_point=API)
    for request in about_deleted:
        request.refresh_from_db()
        assert request.status == Status.SUPERSEDED
        assert request.status_message == f"version {deleted.version} was deleted"
        assert AuditEvent.objects.filter(action=AuditAction.REVIEW_SUPERSEDED, object_id=str(request.pk)).exists()
    about_kept.refresh_from_db()
    assert about_kept.status == Status.PENDING
    audit_checkpoint_write()  # what the beat task does; the test's transaction never commits
    assert audit_chain_verify() is None


def test_it_archives_the_previous_occupant_as_the_policy_says(settings, prod_policy, iris, make_version, owner,
                                                             admin_user, user_named):
    settings.REGISTRY_SINGLE_OCCUPANCY_STAGES = False
    old, new = make_version(iris), make_version(iris)
    model_version_transition_stage(version=old, to_stage="Production", actor=admin_user, entry_point=API,
                                   force_reason="initial release")
    request = _ask(new, owner)
    _approve(request, user_named("reviewer"))
    _approve(request, user_named("reviewer2"))
    old.refresh_from_db()
    assert old.stage == "Archived"


def test_it_keeps_an_approved_request_unapplied_when_validation_is_required(prod_policy, iris, make_version, owner,
                                                                           user_named):
    policy_update(policy=prod_policy, actor=None, entry_point=API, require_validation=True)
    version = make_version(iris)
    request = _ask(version, owner)
    _approve(request, user_named("reviewer"))
    request = _approve(request, user_named("reviewer2"))
    version.refresh_from_db()
    assert (request.status, version.stage) == (Status.APPROVED, "None")
    run = request.validation_runs.get()
    assert request.status_message == (
        f"Approved; waiting: policy 'prod-gate' requires a passed validation run; validation run #{run.pk} is queued.")


def test_it_moves_a_protected_alias_through_a_review(prod_policy, iris, make_version, owner, user_named):
    version = make_version(iris)
    request = _ask(version, owner, alias="champion")
    _approve(request, user_named("reviewer"))
    request = _approve(request, user_named("reviewer3"))
    assert request.status == Status.APPLIED
    assert version.aliases.get().alias == "champion"
    assert _tags(version)["approved_by"] == "reviewer,reviewer3"


def test_it_keeps_the_audit_chain_intact_through_a_full_flow(prod_policy, iris, make_version, owner, user_named):
    version = make_version(iris)
    request = _ask(version, owner)
    _approve(request, user_named("reviewer"))
    _approve(request, user_named("reviewer2"))
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditAction.REVIEW_REQUESTED, AuditAction.REVIEW_APPROVED, AuditAction.REVIEW_APPLIED,
            AuditAction.MODEL_VERSION_STAGE_CHANGED, AuditAction.MODEL_VERSION_TAG_SET} <= actions
    audit_checkpoint_write()  # what the beat task does; the test's transaction never commits
    assert audit_chain_verify() is None


def test_its_inbox_lists_what_each_user_could_still_decide(prod_policy, iris, make_version, owner, outsider,
                                                          admin_user, user_named):
    from approvals.selectors import review_request_inbox_for

    by_owner = _ask(make_version(iris), owner)
    by_reviewer = _ask(make_version(iris), user_named("reviewer"))
    _approve(by_owner, user_named("reviewer2"))

    assert list(review_request_inbox_for(user_named("reviewer"))) == [by_owner]
    assert list(review_request_inbox_for(user_named("reviewer2"))) == [by_reviewer]
    assert list(review_request_inbox_for(user_named("reviewer3"))) == [by_owner, by_reviewer]
    assert list(review_request_inbox_for(outsider)) == []
    assert list(review_request_inbox_for(admin_user)) == [by_owner, by_reviewer]


def test_its_inbox_offers_requests_without_an_approver_group_to_anyone(prod_policy, iris, make_version, owner,
                                                                     outsider):
    from approvals.selectors import review_request_inbox_for

    policy_update(policy=prod_policy, actor=None, entry_point=API, approver_group=None)
    request = _ask(make_version(iris), owner)
    assert list(review_request_inbox_for(outsider)) == [request]
    assert list(review_request_inbox_for(owner)) == []


def test_its_inbox_runs_a_bounded_number_of_queries(prod_policy, iris, make_version, owner, user_named,
                                                    django_assert_max_num_queries):
    from approvals.selectors import review_request_inbox_for

    for _ in range(3):
        _ask(make_version(iris), owner)
    reviewer = user_named("reviewer")
    # 1: the reviewer's group ids; 2: the requests with their model and requester.
    with django_assert_max_num_queries(2):
        rows = [(request.registered_model.name, request.requester.username)
                for request in review_request_inbox_for(reviewer)]
    assert len(rows) == 3
