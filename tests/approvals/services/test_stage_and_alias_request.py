"""One review request for a stage and an alias together (Production + @champion): approved once, applied in one
transaction through the one stage and alias services, or not at all."""
import pytest

from approvals.choices import ReviewRequestStatus as Status
from approvals.services import policy_update, review_request_approve, review_request_create
from models_app.choices import EntryPoint
from models_app.exceptions import InvalidParameter, InvalidState, PermissionDenied
from models_app.models import AliasTransition, StageTransition
from models_app.services.stages import model_version_transition_stage, registered_model_alias_set
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db


def _ask_both(version, owner):
    return review_request_create(version=version, actor=owner, entry_point=API, stage="Production", alias="champion",
                                 comment="v2 takes over")


def _approve_all(request, user_named):
    for name in ("reviewer", "reviewer2"):
        request = review_request_approve(request=request, actor=user_named(name), entry_point=API)
    return request


@pytest.fixture
def champion_v1(prod_policy, iris, make_version, owner, admin_user):
    """v1 in Production behind @champion (put there by a governance admin breaking glass)."""
    v1 = make_version(iris)
    model_version_transition_stage(version=v1, to_stage="Production", actor=admin_user, entry_point=API,
                                   force_reason="initial release")
    registered_model_alias_set(registered_model=iris, alias="champion", version_number=1, actor=admin_user,
                               entry_point=API, force_reason="initial release")
    return v1


def test_it_moves_the_stage_and_the_alias_in_one_approved_request(champion_v1, iris, make_version, owner,
                                                                  user_named):
    v2 = make_version(iris)
    request = _ask_both(v2, owner)
    assert request.target_label == "Production + @champion"

    request = _approve_all(request, user_named)

    v2.refresh_from_db()
    champion_v1.refresh_from_db()
    assert request.status == Status.APPLIED
    assert (v2.stage, champion_v1.stage) == ("Production", "Archived")  # archive_previous
    assert iris.aliases.get(alias="champion").model_version == v2  # not left on the archived v1
    stage_move = StageTransition.objects.get(version=2, to_stage="Production")
    alias_move = AliasTransition.objects.get(alias="champion", to_version=2)
    assert stage_move.review_request_id == alias_move.review_request_id == request.pk
    assert stage_move.entry_point == alias_move.entry_point == EntryPoint.REVIEW_REQUEST


def test_it_applies_neither_when_the_alias_half_is_refused(champion_v1, iris, make_version, owner, user_named,
                                                           monkeypatch):
    """The alias move fails after the stage moved: the stage change is rolled back with it."""
    v2 = make_version(iris)
    request = _ask_both(v2, owner)
    from approvals.services import review_requests as module

    def refuse(**kwargs):
        raise PermissionDenied("the alias service refused")

    monkeypatch.setattr(module, "registered_model_alias_set", refuse)
    request = _approve_all(request, user_named)

    v2.refresh_from_db()
    champion_v1.refresh_from_db()
    request.refresh_from_db()
    assert request.status == Status.SUPERSEDED and "the alias service refused" in request.status_message
    assert (v2.stage, champion_v1.stage) == ("None", "Production")
    assert iris.aliases.get(alias="champion").model_version == champion_v1
    assert not StageTransition.objects.filter(version=2).exists()


def test_the_stage_approval_alone_does_not_move_the_alias(champion_v1, iris, make_version, owner, user_named):
    """A Production-only request, applied, archives v1 but leaves @champion on it (what the pages warn about)."""
    v2 = make_version(iris)
    request = review_request_create(version=v2, actor=owner, entry_point=API, stage="Production")
    assert _approve_all(request, user_named).status == Status.APPLIED
    champion = iris.aliases.select_related("model_version").get(alias="champion")
    assert (champion.model_version.version, champion.model_version.stage) == (1, "Archived")


def test_the_policy_must_protect_both_targets(champion_v1, prod_policy, admin_user, iris, make_version, owner):
    policy_update(policy=prod_policy, protected_aliases=[], actor=admin_user, entry_point=API)
    with pytest.raises(InvalidParameter, match="needs a policy protecting both; @champion of model "
                                               "'iris_classifier' is not protected"):
        _ask_both(make_version(iris), owner)


def test_it_refuses_a_target_the_version_already_holds(champion_v1, owner):
    champion_v1.refresh_from_db()
    with pytest.raises(InvalidState, match="already in Production; ask for @champion alone"):
        _ask_both(champion_v1, owner)


def test_an_approved_alias_request_cannot_carry_a_stage_move(champion_v1, iris, make_version, owner, user_named):
    """The gate matches the stage half only against a request that asked for exactly that stage."""
    v2 = make_version(iris)
    alias_only = review_request_create(version=v2, actor=owner, entry_point=API, alias="champion")
    alias_only = _approve_all(alias_only, user_named)
    assert alias_only.status == Status.APPLIED
    with pytest.raises(PermissionDenied, match=f"Review request #{alias_only.pk} does not approve moving version 2"):
        model_version_transition_stage(version=v2, to_stage="Production", actor=owner, entry_point=API,
                                       review_request_id=alias_only.pk)


def test_it_freezes_the_evidence_when_opened(champion_v1, iris, make_version, owner):
    """The figures shown with the request are those of the candidate and of the champion when it was opened."""
    v2 = make_version(iris)
    request = _ask_both(v2, owner)
    assert request.evidence == {"target": "Production", "candidate": {"version": 2, "metrics": {}},
                                "champion": {"version": 1, "stage": "Production", "metrics": {}}}
