import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("models", [1, 40])
def test_it_lists_audit_events_newest_first_with_bounded_queries(api, make_model, models,
                                                                 django_assert_max_num_queries):
    for index in range(models):
        make_model(name=f"m{index}")
    with django_assert_max_num_queries(3):  # session user, events page (cursor needs no count)
        response = api.get("/api/v1/audit-events/?page_size=500")
    events = response.json()["results"]
    assert events[0]["id"] > events[-1]["id"]
    assert {event["action"] for event in events} >= {"registered_model.created", "model_version.created",
                                                      "model_version.stage_changed", "alias.set"}


def test_it_filters_audit_events(api, make_model):
    make_model(name="iris")
    make_model(name="house")
    response = api.get("/api/v1/audit-events/", {"model": "iris", "action": "alias.set", "actor": "system"})
    events = response.json()["results"]
    assert [(e["registered_model_name"], e["object_id"]) for e in events] == [("iris", "iris@champion")]
    future = (timezone.now() + timezone.timedelta(minutes=5)).isoformat()
    assert api.get("/api/v1/audit-events/", {"since": future}).json()["results"] == []


def test_a_malformed_time_filter_is_a_400(api):
    response = api.get("/api/v1/audit-events/", {"since": "yesterday"})
    assert response.status_code == 400
    assert "since" in response.json()


def test_the_schema_and_docs_are_served_without_a_cdn(api):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/models/{name}/stage-at/" in schema.content
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()
