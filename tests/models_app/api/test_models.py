import pytest
from django.utils import timezone

from models_app.models import StageTransition

pytestmark = pytest.mark.django_db


def test_it_refuses_anonymous_requests(client):
    response = client.get("/api/v1/models/")
    assert response.status_code in (401, 403)


@pytest.mark.parametrize("count", [1, 60])
def test_it_lists_models_with_a_bounded_number_of_queries(api, make_model, count, django_assert_max_num_queries):
    for index in range(count):
        make_model(name=f"model-{index:03}", versions=2)
    # session user, models page, tags, aliases (+ their versions), versions (+ their tags and aliases)
    with django_assert_max_num_queries(7):
        response = api.get("/api/v1/models/?page_size=100")
    assert response.status_code == 200
    first = response.json()["results"][0]
    assert first["name"] == "model-000"
    assert first["aliases"] == {"champion": 1}
    assert first["latest_versions"] == {"Production": 1, "None": 2}


def test_it_filters_models_by_name(api, make_model):
    make_model(name="iris_classifier")
    make_model(name="HousePricePredictor")
    names = [row["name"] for row in api.get("/api/v1/models/?q=iris").json()["results"]]
    assert names == ["iris_classifier"]


def test_it_shows_a_model_with_its_stage_and_alias_history(api, make_model):
    make_model(name="iris")
    body = api.get("/api/v1/models/iris/").json()
    history = [(h["version"], h["from_stage"], h["to_stage"]) for h in body["stage_history"]]
    assert history == [(1, "None", "Production")]
    assert [(h["alias"], h["to_version"]) for h in body["alias_history"]] == [("champion", 1)]


def test_an_unknown_model_is_a_404_naming_it(api):
    response = api.get("/api/v1/models/nope/")
    assert response.status_code == 404
    assert response.json() == {"error_code": "RESOURCE_DOES_NOT_EXIST",
                               "detail": "Registered Model with name=nope not found"}


@pytest.mark.parametrize("count", [1, 60])
def test_it_lists_versions_with_a_bounded_number_of_queries(api, make_model, count, django_assert_max_num_queries):
    make_model(name="iris", versions=count)
    # session user, model, versions page, tags, aliases
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/models/iris/versions/?page_size=100")
    rows = response.json()["results"]
    assert [row["version"] for row in rows][:1] == [count]
    assert rows[-1]["aliases"] == ["champion"] and rows[-1]["stage"] == "Production"
    assert rows[-1]["tags"] == {"team": "ds"}


def test_it_shows_a_version_with_lineage_and_history(api, make_model):
    make_model(name="iris")
    body = api.get("/api/v1/models/iris/versions/1/").json()
    assert body["stage"] == "Production"
    assert body["lineage"] == {"experiment": None, "run": None, "logged_model": None}
    assert [h["to_stage"] for h in body["stage_history"]] == ["Production"]
    assert [h["alias"] for h in body["alias_history"]] == ["champion"]


def test_it_transitions_a_version_through_the_stage_service(api, make_model, owner):
    make_model(name="iris")
    response = api.post("/api/v1/models/iris/versions/2/transition/", {"stage": "Production", "comment": "better"},
                        format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == "Production"
    moves = StageTransition.objects.filter(entry_point="native_api").order_by("id")
    assert [(m.version, m.to_stage, m.actor_name) for m in moves] == [(1, "Archived", "owner"),
                                                                      (2, "Production", "owner")]


def test_an_unknown_stage_is_a_400_naming_the_choices(api, make_model):
    make_model(name="iris")
    response = api.post("/api/v1/models/iris/versions/2/transition/", {"stage": "Bogus"}, format="json")
    assert response.status_code == 400
    assert "stage" in response.json()


def test_it_moves_and_deletes_aliases(api, make_model):
    make_model(name="iris")
    assert api.put("/api/v1/models/iris/aliases/champion/", {"version": 2}, format="json").json()["aliases"] == {
        "champion": 2
    }
    assert api.delete("/api/v1/models/iris/aliases/champion/").status_code == 204
    assert api.get("/api/v1/models/iris/").json()["aliases"] == {}


def test_it_answers_what_was_in_a_stage_at_a_time(api, make_model):
    make_model(name="iris")
    before = timezone.now() - timezone.timedelta(days=1)
    StageTransition.objects.update(created_at=before)
    api.post("/api/v1/models/iris/versions/2/transition/", {"stage": "Production"}, format="json")
    earlier = (before + timezone.timedelta(hours=1)).isoformat()
    assert api.get("/api/v1/models/iris/stage-at/", {"stage": "Production", "at": earlier}).json()["versions"] == [1]
    now = timezone.now().isoformat()
    assert api.get("/api/v1/models/iris/stage-at/", {"stage": "Production", "at": now}).json()["versions"] == [2]
    assert api.get("/api/v1/models/iris/stage-at/", {"alias": "champion", "at": now}).json()["version"] == 1


def test_stage_at_needs_exactly_one_of_stage_or_alias(api, make_model):
    make_model(name="iris")
    response = api.get("/api/v1/models/iris/stage-at/", {"at": timezone.now().isoformat()})
    assert response.status_code == 400
    assert "exactly one of 'stage' or 'alias'" in str(response.json())
