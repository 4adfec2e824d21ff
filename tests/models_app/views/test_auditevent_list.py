"""The audit log: filters, a bad date shown inline, CSV export, query bounds."""
import csv
import io

import pytest
from django.urls import reverse

from models_app.choices import EntryPoint
from models_app.services.audit import audit_record
from models_app.services.registry import registered_model_create

pytestmark = pytest.mark.django_db
URL = reverse("models_app:auditevent_list")


def test_it_requires_login(client):
    assert client.get(URL).status_code == 302
    assert client.get(reverse("models_app:auditevent_export")).status_code == 302


def test_it_filters_by_model_and_action(owner_client, owner, demo):
    registered_model_create(name="other", actor=owner, entry_point=EntryPoint.SYSTEM)
    response = owner_client.get(URL, {"model": "iris_classifier", "action": "model_version.stage_changed"},
                                HTTP_HX_REQUEST="true")
    events = list(response.context["page"].object_list)
    assert events and all(event.action == "model_version.stage_changed" for event in events)
    assert response.content.decode().lstrip().startswith('<div id="audit-table">')


def test_it_filters_by_actor_and_time(owner_client, demo):
    assert owner_client.get(URL, {"actor": "owner", "since": "2000-01-01"}).context["page"].paginator.count > 0
    assert owner_client.get(URL, {"actor": "nobody"}).context["page"].paginator.count == 0
    assert owner_client.get(URL, {"until": "2000-01-01"}).context["page"].paginator.count == 0


def test_it_explains_a_bad_date_inline(owner_client):
    response = owner_client.get(URL, {"since": "yesterday"})
    assert response.status_code == 200
    assert "&#x27;yesterday&#x27; is not a date" in response.content.decode()


def test_it_exports_the_filtered_events_as_csv(owner_client, demo):
    response = owner_client.get(reverse("models_app:auditevent_export"), {"action": "alias.set"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["id", "created_at", "actor_name", "action"]
    assert [row[3] for row in rows[1:]] == ["alias.set"]


@pytest.mark.parametrize("rows", [1, 200])
def test_it_runs_a_bounded_number_of_queries(owner_client, owner, django_assert_max_num_queries, rows):
    for number in range(rows):
        registered_model_create(name=f"m{number}", actor=owner, entry_point=EntryPoint.SYSTEM)
    # session, user, the viewer's governance-admin group (who sees the whole log), count, page of events
    with django_assert_max_num_queries(5):
        response = owner_client.get(URL, {"actor": "owner"})
    assert response.status_code == 200


def test_it_labels_numbered_objects_with_their_kind(owner_client, owner, demo):
    registered_model_create(name="other", actor=owner, entry_point=EntryPoint.SYSTEM)
    body = owner_client.get(URL).content.decode()
    experiment = demo.runs[0].experiment
    assert f'<a href="{reverse("models_app:experiment", args=[experiment.pk])}">experiment #{experiment.pk}</a>' in body
    assert f'<a href="{reverse("models_app:registeredmodel", args=["other"])}">other</a>' in body


def test_each_event_links_to_its_object_and_names_its_model(client, django_user_model, owner, demo):
    run = demo.runs[1]
    audit_record(action="run.deleted", actor=owner, entry_point=EntryPoint.SYSTEM, object_type="run",
                 object_id=run.pk)
    # A superuser sees every event, run events included.
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "root-pass"))
    body = client.get(URL).content.decode()
    model_link = f'in <a href="{reverse("models_app:registeredmodel", args=["iris_classifier"])}">iris_classifier</a>'
    for link in (f'<a href="{reverse("models_app:modelversion", args=["iris_classifier", 2])}">iris_classifier/2</a>',
                 f'<a href="{reverse("models_app:run", args=[run.pk])}">run {run.pk}</a>',
                 f'<a href="{reverse("models_app:registeredmodel", args=["iris_classifier"])}">'
                 "iris_classifier@champion</a>", model_link):
        assert link in body


def test_details_are_readable_fields_not_json(owner_client, owner, demo):
    body = owner_client.get(URL, {"action": "alias.set"}, HTTP_HX_REQUEST="true").content.decode()
    for field in ('<dl class="kv audit-details">', "<dt>alias</dt><dd>champion</dd>", "<dt>to version</dt><dd>1</dd>",
                  "<dt>from version</dt><dd>—</dd>", "<dt>review request id</dt><dd>—</dd>"):
        assert field in body
    assert "{&quot;" not in body and '{"' not in body


def test_a_malformed_object_id_gets_no_link_instead_of_an_error(client, django_user_model, owner):
    audit_record(action="model_version.created", actor=owner, entry_point=EntryPoint.SYSTEM,
                 object_type="model_version", object_id="no-version-number", registered_model_name="",
                 details={"tags": ["a", "b"], "archived": True, "score": 0.912345678, "nested": {"k": None}})
    # An event naming no model is registry-wide: a superuser sees it.
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "root-pass"))
    response = client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200 and "<td>model version no-version-number\n" in body
    for field in ("<dt>tags</dt><dd>a, b</dd>", "<dt>archived</dt><dd>yes</dd>", "<dt>score</dt><dd>0.912346</dd>",
                  "<dt>nested</dt><dd>k —</dd>"):
        assert field in body
