import pytest

from approvals.models import ReviewRequest
from approvals.services import permission_set, review_request_approve, review_request_create
from models_app.governance import PermissionLevel
from tests.approvals.conftest import API, revoke_approvers

pytestmark = pytest.mark.django_db
URL = "/api/v1/review-requests/"


@pytest.fixture
def approvers_can_manage_production(iris, approvers, owner):
    permission_set(registered_model=iris, group=approvers, level=PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS,
                   actor=owner, entry_point=API)


@pytest.fixture
def pending(prod_policy, iris, make_version, owner):
    return review_request_create(version=make_version(iris), actor=owner, entry_point=API, stage="Production",
                                 comment="ship it")


def test_it_opens_a_review_request_with_its_evidence(client_as, prod_policy, iris, make_version, outsider):
    version = make_version(iris)
    response = client_as(outsider).post(URL, {"model": "iris_classifier", "version": version.version,
                                              "stage": "production", "comment": "ready"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["target_stage"], body["requester"], body["comment"]) == (
        "PENDING", "Production", "outsider", "ready")
    assert body["policy_snapshot"]["required_approvals"] == 2
    assert body["content_hash"] == ReviewRequest.objects.get(pk=body["id"]).content_hash != ""
    assert body["reviews"] == []


@pytest.mark.parametrize(("body", "message"), [
    ({"model": "iris_classifier", "version": 1}, "A move names a 'stage', an 'alias', or both (applied together)."),
    ({"model": "iris_classifier", "stage": "Production"}, "A 'move' request names a version."),
])
def test_it_answers_400_naming_what_is_wrong_in_the_body(client_as, prod_policy, owner, body, message):
    response = client_as(owner).post(URL, body, format="json")
    assert response.status_code == 400
    assert message in str(response.json())


def test_it_answers_400_when_no_policy_protects_the_target(client_as, iris, make_version, owner):
    version = make_version(iris)
    response = client_as(owner).post(URL, {"model": "iris_classifier", "version": version.version,
                                           "stage": "Staging"}, format="json")
    assert response.status_code == 400
    assert "No policy protects Staging for model 'iris_classifier'; transition it directly." in response.json()[
        "detail"]


def test_it_refuses_opening_a_request_without_read_permission(settings, client_as, prod_policy, iris, make_version,
                                                              outsider):
    settings.REGISTRY_DEFAULT_PERMISSION = "NONE"
    version = make_version(iris)
    response = client_as(outsider).post(URL, {"model": "iris_classifier", "version": version.version,
                                              "stage": "Production"}, format="json")
    assert response.status_code == 404  # an unreadable model is not even shown to exist
    assert "iris_classifier" in response.json()["detail"]


def test_it_shows_a_request_with_each_review(client_as, pending, approvers_can_manage_production, reviewer, owner):
    review_request_approve(request=pending, actor=reviewer, entry_point=API, comment="looks good")
    body = client_as(owner).get(f"{URL}{pending.pk}/").json()
    assert body["requester"] == "owner"
    assert [(r["reviewer_name"], r["decision"], r["comment"]) for r in body["reviews"]] == [
        ("reviewer", "APPROVE", "looks good")]
    assert body["reviews"][0]["created_at"]
    assert body["policy_snapshot"]["name"] == "prod-gate"


def test_it_answers_404_for_an_unknown_request(client_as, owner):
    response = client_as(owner).get(f"{URL}999999/")
    assert response.status_code == 404
    assert response.json()["detail"] == "Review request #999999 does not exist or is not visible to you."


def test_it_approves_as_a_member_holding_the_production_level(client_as, pending, approvers_can_manage_production,
                                                              reviewer):
    response = client_as(reviewer).post(f"{URL}{pending.pk}/approve/", {"comment": "ok"}, format="json")
    assert response.status_code == 200
    assert response.json()["reviews"][0]["comment"] == "ok"


def test_it_refuses_approval_from_a_non_member_saying_why(client_as, pending, approvers_can_manage_production,
                                                          outsider):
    response = client_as(outsider).post(f"{URL}{pending.pk}/approve/", {"comment": "ok"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Only members of group 'prod-approvers' may review requests under policy 'prod-gate'; user 'outsider' "
        "is not one.")


def test_it_refuses_approval_from_a_member_without_the_production_level(client_as, pending, reviewer, iris,
                                                                       approvers):
    revoke_approvers(iris, approvers)
    response = client_as(reviewer).post(f"{URL}{pending.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert "has CAN_READ on model 'iris_classifier'" in response.json()["detail"]
    assert "needs CAN_MANAGE_PRODUCTION_VERSIONS" in response.json()["detail"]


def test_it_rejects_as_a_member_and_refuses_a_second_decision(client_as, pending, approvers_can_manage_production,
                                                              reviewer):
    client = client_as(reviewer)
    response = client.post(f"{URL}{pending.pk}/reject/", {"comment": "metrics regressed"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "REJECTED"
    again = client.post(f"{URL}{pending.pk}/reject/", {}, format="json")
    assert again.status_code == 400
    assert "is REJECTED" in again.json()["detail"]


def test_it_refuses_rejection_from_an_outsider(client_as, pending, approvers_can_manage_production, outsider):
    response = client_as(outsider).post(f"{URL}{pending.pk}/reject/", {}, format="json")
    assert response.status_code == 403
    assert "Only members of group 'prod-approvers'" in response.json()["detail"]


def test_it_lets_the_requester_cancel(client_as, pending, owner):
    response = client_as(owner).post(f"{URL}{pending.pk}/cancel/", {"comment": "wrong version"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"


def test_it_refuses_cancelling_someone_elses_request_without_can_manage(client_as, pending, reviewer, iris,
                                                                        approvers):
    revoke_approvers(iris, approvers)
    response = client_as(reviewer).post(f"{URL}{pending.pk}/cancel/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "User 'reviewer' has CAN_READ on model 'iris_classifier'; cancelling someone else's review request needs "
        "CAN_MANAGE.")


def test_it_refuses_cancelling_with_partial_rights(client_as, pending, iris, owner, reviewer):
    permission_set(registered_model=iris, user=reviewer, level=PermissionLevel.CAN_MANAGE_PRODUCTION_VERSIONS,
                   actor=owner, entry_point=API)
    response = client_as(reviewer).post(f"{URL}{pending.pk}/cancel/", {}, format="json")
    assert response.status_code == 403
    assert "has CAN_MANAGE_PRODUCTION_VERSIONS" in response.json()["detail"]
    assert ReviewRequest.objects.get(pk=pending.pk).status == "PENDING"


def test_it_filters_mine_awaiting_me_status_model_and_stage(client_as, pending, approvers_can_manage_production,
                                                            owner, reviewer):
    def ids(client, query):
        response = client.get(URL, query)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(client_as(owner), {"mine": "true"}) == [pending.pk]
    assert ids(client_as(reviewer), {"mine": "true"}) == []
    assert ids(client_as(reviewer), {"awaiting_me": "true"}) == [pending.pk]
    assert ids(client_as(owner), {"awaiting_me": "true"}) == []  # own request, no self-approval
    assert ids(client_as(owner), {"status": "PENDING", "model": "iris_classifier", "stage": "Production"}) == [
        pending.pk]
    assert ids(client_as(owner), {"status": "APPLIED"}) == []
    assert ids(client_as(owner), {"stage": "Staging"}) == []


def test_it_answers_400_for_an_unknown_status_filter(client_as, owner):
    response = client_as(owner).get(URL, {"status": "DONE"})
    assert response.status_code == 400
    assert "is not a valid choice" in str(response.json()["status"])


@pytest.mark.parametrize("rows", [1, 30])
def test_it_lists_requests_in_bounded_queries(client_as, prod_policy, iris, make_version, owner,
                                              django_assert_max_num_queries, rows):
    for _ in range(rows):
        review_request_create(version=make_version(iris), actor=owner, entry_point=API, stage="Production")
    client = client_as(owner)
    with django_assert_max_num_queries(6):
        response = client.get(URL, {"page_size": 50})
    assert len(response.json()["results"]) == rows


def test_it_opens_one_request_for_a_stage_and_an_alias(client_as, prod_policy, owner, iris, make_version):
    make_version(iris)
    response = client_as(owner).post(URL, {"model": "iris_classifier", "version": 1, "stage": "Production",
                                           "alias": "champion"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["target"], body["target_stage"], body["target_alias"]) == ("Production + @champion", "Production",
                                                                           "champion")
    assert body["evidence"] == {"target": "Production", "candidate": {"version": 1, "metrics": {}}, "champion": None}
