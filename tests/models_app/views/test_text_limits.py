"""Free text has a length limit with a message that names the field, on the native API and the pages (the MLflow
API's side: tests/models_app/mlflow_api/test_text_limits.py). Nothing is written when a value is refused."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from models_app.choices import EntryPoint
from models_app.models import ModelVersion, StageTransition
from models_app.services.common import MAX_COMMENT_LENGTH, MAX_DESCRIPTION_LENGTH
from models_app.services.tokens import api_token_create

pytestmark = pytest.mark.django_db
TOO_LONG_COMMENT = "r" * 20_000


def _description_message(length: int = MAX_DESCRIPTION_LENGTH + 1) -> str:
    return f"Parameter 'description' is {length} characters long; the limit is {MAX_DESCRIPTION_LENGTH}."


def test_the_native_api_refuses_a_long_transition_comment_and_force_reason(owner, described_model):
    client = APIClient()
    client.force_authenticate(owner)
    url = reverse("models_app-api:modelversion-transition", args=[described_model.name, 1])
    for field, value in (("comment", TOO_LONG_COMMENT), ("force_reason", TOO_LONG_COMMENT)):
        response = client.post(url, {"stage": "Staging", field: value}, format="json")
        assert response.status_code == 400, response.json()
        name = "reason" if field == "comment" else field
        assert response.json()["detail"] == (f"Parameter '{name}' is 20000 characters long; the limit is "
                                             f"{MAX_COMMENT_LENGTH}.")
    assert not StageTransition.objects.exists() and ModelVersion.objects.get().stage == "None"


def test_a_token_name_past_its_column_is_a_clear_400_not_a_database_error(owner):
    from models_app.exceptions import InvalidParameter

    with pytest.raises(InvalidParameter, match="Parameter 'name' is 101 characters long; the limit is 100."):
        api_token_create(user=owner, name="n" * 101, entry_point=EntryPoint.COMMAND)


def test_the_description_page_refuses_100000_characters_and_keeps_the_draft(client, owner, described_model):
    client.force_login(owner)
    url = reverse("models_app:registeredmodel_description", args=[described_model.name])
    form = client.get(url, {"edit": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert f'maxlength="{MAX_DESCRIPTION_LENGTH}"' in form
    response = client.post(url, {"description": "x" * 100_000}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and _description_message(100_000).replace("'", "&#x27;") in body
    assert "x" * 100_000 in body  # still in the form, to shorten
    described_model.refresh_from_db()
    assert described_model.description == "kept"


def test_the_stage_form_refuses_a_long_reason(client, owner, described_model):
    client.force_login(owner)
    stage_url = reverse("models_app:modelversion_stage", args=[described_model.name, 1])
    # The first post shows the confirmation, whose reason field carries the limit; the second applies.
    page = client.post(stage_url, {"stage": "Staging"}, HTTP_HX_REQUEST="true").content.decode()
    assert f'name="reason" maxlength="{MAX_COMMENT_LENGTH}"' in page
    response = client.post(stage_url, {"stage": "Staging", "step": "confirm", "reason": TOO_LONG_COMMENT},
                           HTTP_HX_REQUEST="true")
    assert f"Parameter &#x27;reason&#x27; is 20000 characters long; the limit is {MAX_COMMENT_LENGTH}." in \
        response.content.decode()
    assert ModelVersion.objects.get().stage == "None"
