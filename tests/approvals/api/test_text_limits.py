"""Comments and descriptions of governance records have limits, refused with a message naming the field and
nothing written: review requests and their decisions (API and pages), rollbacks, validation datasets."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.models import Review, ReviewRequest, ValidationDataset
from approvals.services import review_request_create, rollback, validation_dataset_create
from models_app.exceptions import InvalidParameter
from models_app.services.common import MAX_COMMENT_LENGTH, MAX_DESCRIPTION_LENGTH
from tests.approvals.conftest import API

pytestmark = pytest.mark.django_db
URL = "/api/v1/review-requests/"
TOO_LONG = "c" * 20_000
MESSAGE = f"Parameter 'comment' is 20000 characters long; the limit is {MAX_COMMENT_LENGTH}."


def test_a_request_with_a_20000_character_comment_is_refused(client_as, prod_policy, iris, make_version, outsider):
    version = make_version(iris)
    response = client_as(outsider).post(URL, {"model": iris.name, "version": version.version, "stage": "Production",
                                              "comment": TOO_LONG}, format="json")
    assert response.status_code == 400 and response.json()["detail"] == MESSAGE
    assert not ReviewRequest.objects.exists()


def test_a_decision_with_a_long_comment_is_refused_and_not_recorded(client_as, prod_policy, iris, make_version,
                                                                    owner, reviewer):
    request = review_request_create(version=make_version(iris), actor=owner, entry_point=API, stage="Production")
    for decision in ("approve", "reject", "cancel"):
        response = client_as(reviewer if decision != "cancel" else owner).post(
            f"{URL}{request.pk}/{decision}/", {"comment": TOO_LONG}, format="json")
        assert response.status_code == 400 and response.json()["detail"] == MESSAGE, decision
    assert not Review.objects.exists() and ReviewRequest.objects.get().status == "PENDING"


def test_a_rollback_comment_and_a_dataset_description_have_limits(iris, owner, admin_user):
    with pytest.raises(InvalidParameter, match=MESSAGE):
        rollback(registered_model=iris, actor=owner, entry_point=API, stage="Production", comment=TOO_LONG)
    upload = SimpleUploadedFile("d.csv", b"x,target\n1,0\n2,1\n")
    with pytest.raises(InvalidParameter, match=f"the limit is {MAX_DESCRIPTION_LENGTH}"):
        validation_dataset_create(name="d", upload=upload, target_column="target", task_type="classification",
                                  actor=admin_user, entry_point=API, description="d" * (MAX_DESCRIPTION_LENGTH + 1))
    assert not ValidationDataset.objects.exists()


def test_the_request_form_says_why_a_long_comment_is_refused(client, prod_policy, iris, make_version, outsider):
    version = make_version(iris)
    client.force_login(outsider)
    url = reverse("approvals:version_requests", args=[iris.name, version.version])
    assert f'maxlength="{MAX_COMMENT_LENGTH}"' in client.get(url, HTTP_HX_REQUEST="true").content.decode()
    response = client.post(url, {"stage": "Production", "comment": TOO_LONG}, HTTP_HX_REQUEST="true")
    assert f"Request refused: {MESSAGE}".replace("'", "&#x27;") in response.content.decode()
    assert not ReviewRequest.objects.exists()
