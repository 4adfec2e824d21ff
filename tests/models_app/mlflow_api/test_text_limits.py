"""The MLflow API refuses free text past MLflow's own limits (descriptions 5000, as MLflow's registry columns; tag
values 8000) with INVALID_PARAMETER_VALUE naming the field, and writes nothing."""
import pytest

from models_app.choices import EntryPoint
from models_app.models import ModelVersion, RegisteredModel
from models_app.services.common import MAX_DESCRIPTION_LENGTH
from models_app.services.registry import model_version_create, registered_model_create

from .conftest import assert_error

pytestmark = pytest.mark.django_db
TOO_LONG_DESCRIPTION = "d" * (MAX_DESCRIPTION_LENGTH + 1)
TOO_LONG = f"Parameter 'description' is {MAX_DESCRIPTION_LENGTH + 1} characters long; the limit is 5000."


@pytest.fixture
def model(owner):
    created = registered_model_create(name="iris_classifier", actor=owner, entry_point=EntryPoint.COMMAND,
                                      description="kept")
    model_version_create(name=created.name, source="mlflow-artifacts:/0/models/v1/artifacts", actor=owner,
                         entry_point=EntryPoint.COMMAND, description="kept")
    return created


def test_the_mlflow_api_refuses_long_descriptions_like_mlflow(api, model):
    assert_error(api.post("registered-models/create", {"name": "other", "description": TOO_LONG_DESCRIPTION}),
                 400, "INVALID_PARAMETER_VALUE", TOO_LONG)
    assert_error(api.patch("registered-models/update", {"name": model.name, "description": TOO_LONG_DESCRIPTION}),
                 400, "INVALID_PARAMETER_VALUE", TOO_LONG)
    assert_error(api.patch("model-versions/update", {"name": model.name, "version": "1",
                                                     "description": TOO_LONG_DESCRIPTION}),
                 400, "INVALID_PARAMETER_VALUE", TOO_LONG)
    assert_error(api.post("model-versions/create", {"name": model.name, "source": "mlflow-artifacts:/0/x",
                                                    "description": TOO_LONG_DESCRIPTION}),
                 400, "INVALID_PARAMETER_VALUE", TOO_LONG)
    exactly = api.patch("registered-models/update", {"name": model.name, "description": "d" * MAX_DESCRIPTION_LENGTH})
    assert exactly.status_code == 200, exactly.json()
    assert not RegisteredModel.objects.filter(name="other").exists() and model.versions.count() == 1
    assert ModelVersion.objects.get().description == "kept"


def test_the_mlflow_api_refuses_tag_values_past_mlflows_limit(api, model):
    assert_error(api.post("registered-models/set-tag", {"name": model.name, "key": "note", "value": "v" * 8001}),
                 400, "INVALID_PARAMETER_VALUE", "longer than 8000 characters")
