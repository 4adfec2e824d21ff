"""The MLflow API refuses free text past MLflow's own limits (descriptions 5000, as MLflow's registry columns; tag
values 8000) with INVALID_PARAMETER_VALUE naming the field, and writes nothing."""
import pytest

from models_app.models import ModelVersion, RegisteredModel
from models_app.services.common import MAX_DESCRIPTION_LENGTH

from .conftest import assert_error

pytestmark = pytest.mark.django_db
TOO_LONG_DESCRIPTION = "d" * (MAX_DESCRIPTION_LENGTH + 1)
TOO_LONG = f"Parameter 'description' is {MAX_DESCRIPTION_LENGTH + 1} characters long; the limit is 5000."


def test_the_mlflow_api_refuses_long_descriptions_like_mlflow(api, described_model):
    name = described_model.name
    assert_error(api.post("registered-models/create", {"name": "other", "description": TOO_LONG_DESCRIPTION}),
                 400, "INVALID_PARAMETER_VALUE", TOO_LONG)
    assert_error(api.patch("registered-models/update", {"name": name, "description": TOO_LONG_DESCRIPTION}),
                 400, "INVALID_PARAMETER_VALUE", TOO_LONG)
    assert_error(api.patch("model-versions/update", {"name": name, "version": "1",
                                                     "description": TOO_LONG_DESCRIPTION}),
                 400, "INVALID_PARAMETER_VALUE", TOO_LONG)
    assert_error(api.post("model-versions/create", {"name": name, "source": "mlflow-artifacts:/0/x",
                                                    "description": TOO_LONG_DESCRIPTION}),
                 400, "INVALID_PARAMETER_VALUE", TOO_LONG)
    exactly = api.patch("registered-models/update", {"name": name, "description": "d" * MAX_DESCRIPTION_LENGTH})
    assert exactly.status_code == 200, exactly.json()
    assert not RegisteredModel.objects.filter(name="other").exists() and described_model.versions.count() == 1
    assert ModelVersion.objects.get().description == "kept"


def test_the_mlflow_api_refuses_tag_values_past_mlflows_limit(api, described_model):
    name = described_model.name
    assert_error(api.post("registered-models/set-tag", {"name": name, "key": "note", "value": "v" * 8001}),
                 400, "INVALID_PARAMETER_VALUE", "longer than 8000 characters")
