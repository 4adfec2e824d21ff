"""Read endpoints cost a fixed number of queries, however many rows they return."""
import pytest

from models_app.choices import EntryPoint
from models_app.services.registry import model_version_create, model_version_set_tag, registered_model_create
from models_app.services.stages import registered_model_alias_set

pytestmark = pytest.mark.django_db

# token lookup; token last-use update (at most once a minute, so counted once);
# model by name; model again with: tags, aliases (+ their version), versions (+ their tags, aliases);
# governance's deployment fields: review requests of the versions shown, their validation runs (only when there
# are requests), the policies (registered models only)
DEPLOYMENT_JOB_QUERIES = 2
REGISTERED_MODEL_GET_QUERIES = 9 + DEPLOYMENT_JOB_QUERIES + 1
# token lookup; token last-use update; versions page (joined with the model); their tags; their aliases
MODEL_VERSION_SEARCH_QUERIES = 5 + DEPLOYMENT_JOB_QUERIES
# token lookup; token last-use update; models page; their tags; aliases (+ version); versions (+ tags, aliases)
REGISTERED_MODEL_SEARCH_QUERIES = 8 + DEPLOYMENT_JOB_QUERIES + 1


def _add_versions(registered_model, owner, count: int) -> None:
    for _ in range(count):
        version = model_version_create(name=registered_model.name, source="mlflow-artifacts:/0/x", actor=owner,
                                       entry_point=EntryPoint.COMMAND)
        model_version_set_tag(version=version, key="team", value="ds", actor=owner, entry_point=EntryPoint.COMMAND)
        registered_model_alias_set(registered_model=registered_model, alias=f"a{version.version}",
                                   version_number=version.version, actor=owner, entry_point=EntryPoint.COMMAND)


@pytest.mark.parametrize("extra_versions", [0, 10])
def test_registered_model_get_is_bounded(api, registered_model, owner, extra_versions,
                                         django_assert_max_num_queries):
    _add_versions(registered_model, owner, extra_versions)
    with django_assert_max_num_queries(REGISTERED_MODEL_GET_QUERIES):
        response = api.get("registered-models/get", name=registered_model.name)
    assert len(response.json()["registered_model"]["aliases"]) == extra_versions


@pytest.mark.parametrize("extra_versions", [0, 10])
def test_model_version_search_is_bounded(api, registered_model, owner, extra_versions,
                                         django_assert_max_num_queries):
    _add_versions(registered_model, owner, extra_versions)
    with django_assert_max_num_queries(MODEL_VERSION_SEARCH_QUERIES):
        response = api.get("model-versions/search", filter=f"name='{registered_model.name}'")
    assert len(response.json()["model_versions"]) == 2 + extra_versions


@pytest.mark.parametrize("extra_models", [0, 10])
def test_registered_model_search_is_bounded(api, registered_model, owner, extra_models,
                                            django_assert_max_num_queries):
    for index in range(extra_models):
        model = registered_model_create(name=f"model-{index}", actor=owner, entry_point=EntryPoint.COMMAND)
        _add_versions(model, owner, 1)
    with django_assert_max_num_queries(REGISTERED_MODEL_SEARCH_QUERIES):
        response = api.get("registered-models/search", max_results=100)
    assert len(response.json()["registered_models"]) == 1 + extra_models
