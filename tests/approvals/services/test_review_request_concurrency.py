"""Two approvers completing the quorum at the same instant: the change is applied once."""
import pytest

from approvals.choices import ReviewRequestStatus as Status
from approvals.models import ReviewRequest
from approvals.services import review_request_approve, review_request_create
from models_app.choices import AuditAction
from models_app.exceptions import InvalidState
from models_app.models import AuditEvent, StageTransition
from models_app.services.audit import audit_chain_verify
from tests.approvals.conftest import API
from tests.models_app.services.concurrency import postgres_only, run_concurrently


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_applies_once_when_two_approvers_approve_at_the_same_instant(prod_policy, iris, make_version, owner,
                                                                          user_named):
    version = make_version(iris)
    request = review_request_create(version=version, actor=owner, entry_point=API, stage="Production")
    review_request_approve(request=request, actor=user_named("reviewer"), entry_point=API)
    racers = [user_named("reviewer2"), user_named("reviewer3")]

    def approve(index):
        try:
            return review_request_approve(request=ReviewRequest.objects.get(pk=request.pk), actor=racers[index],
                                          entry_point=API).status
        except InvalidState as error:
            return error.message

    outcomes = run_concurrently(2, approve)

    assert sorted(outcomes, key=str) == sorted([Status.APPLIED, f"Review request #{request.pk} is APPLIED; this "
                                                "needs a request that is PENDING."], key=str)
    assert StageTransition.objects.filter(version=version.version, to_stage="Production").count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.REVIEW_APPLIED).count() == 1
    assert audit_chain_verify() is None
