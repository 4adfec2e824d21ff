"""Property-based attack: schemathesis generates requests from the native API's OpenAPI schema (valid and
invalid values for every path, query and body parameter) and sends them to the WSGI app on PostgreSQL.
No answer may be a 5xx. Bounded examples per operation keep the whole run well under two minutes.
"""
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from models_app.choices import EntryPoint
from models_app.services.registry import model_version_create, registered_model_create
from models_app.services.tokens import api_token_create

EXAMPLES_PER_OPERATION = 8

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


@pytest.fixture
def credentials(db, django_user_model):
    """A superuser's token (every endpoint is reachable), and a model with a version for the generated names."""
    admin = django_user_model.objects.create_superuser("fuzz-admin", "fuzz@example.com", "fuzz-pass")
    model = registered_model_create(name="iris", actor=admin, entry_point=EntryPoint.COMMAND)
    model_version_create(name=model.name, source="mlflow-artifacts:/0/models/v1/artifacts", actor=admin,
                         entry_point=EntryPoint.COMMAND)
    raw, _token = api_token_create(user=admin, name="schemathesis", entry_point=EntryPoint.COMMAND)
    # The WSGI handler closes the connection around each request, which would end the test's transaction;
    # Django's own test client keeps it open the same way.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {raw}"}
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_5xx(case, credentials):
    response = case.call(headers=credentials)

    case.validate_response(response, checks=[not_a_server_error])
