"""What every MLflow endpoint shares: authentication, field parsing, and the one error translator.

Shape taken from MLflow's `catch_mlflow_exception`: a view raises a domain error and the decorator
turns it into `{"error_code", "message"}` with the error's HTTP status. Client mistakes must never
become 5xx, because the MLflow client retries 5xx answers for minutes.
"""
import base64
import binascii
import functools
import json

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ..authentication import CredentialsError, CredentialsThrottled, user_from_authorization_header
from ..exceptions import InvalidParameter, RegistryError, RequestLimitExceeded, Unauthenticated
from ..json_input import json_loads_checked
from ..throttling import MlflowApiRateThrottle
from .schema import Schema

_BODY_METHODS = ("POST", "PATCH", "PUT", "DELETE")


def error_response(error_code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error_code": error_code, "message": message}, status=status)


def ok(payload: dict | None = None) -> JsonResponse:
    return JsonResponse(payload or {})


def request_actor(request: HttpRequest):
    """The user behind the Authorization header; AnonymousUser only when the deployment allows it."""
    try:
        user = user_from_authorization_header(request.META.get("HTTP_AUTHORIZATION", ""), request=request)
    except CredentialsThrottled as error:
        raise RequestLimitExceeded(str(error)) from None
    except CredentialsError as error:
        raise Unauthenticated(str(error)) from None
    if user is not None:
        return user
    if settings.REGISTRY_ALLOW_ANONYMOUS:
        return AnonymousUser()
    raise Unauthenticated(
        "Authentication required: send 'Authorization: Bearer <API token>' (MLFLOW_TRACKING_TOKEN) or Basic "
        "credentials (MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD)."
    )


def request_throttle(request: HttpRequest, actor) -> None:
    """Refuse the request when `actor` (or the anonymous caller's address) is over the MLflow API's rate."""
    throttle = MlflowApiRateThrottle(actor)
    if not throttle.allow_request(request, None):
        raise RequestLimitExceeded(throttle.refusal_message())


def mlflow_view(view=None, *, json_body: bool = True, schema: Schema | None = None):
    """Authenticate, parse the request's fields into `Fields`, check them against `schema`, translate errors.

    The view is called as `view(request, fields, actor, **url_kwargs)`. With `json_body=False` the
    fields come from the query string whatever the method, and the body is left unread (uploads).
    The schema runs before the view, so type mistakes answer 400 before anything is looked up.
    """

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, **kwargs):
            try:
                actor = request_actor(request)
                request_throttle(request, actor)
                fields = Fields.from_request(request, json_body=json_body)
                if schema is not None:
                    schema.validate(fields.as_sent(schema.arrays))
                return view(request, fields, actor, **kwargs)
            except RegistryError as error:
                return error_response(error.error_code, error.message, error.http_status)
            # A value the database cannot hold (too long, out of range) is answered by models_app.middleware.

        return wrapper

    return decorate(view) if view is not None else decorate


def by_method(**views):
    """One URL answered by several MLflow messages, one view each, chosen by HTTP method."""

    @csrf_exempt
    def dispatch(request: HttpRequest, **kwargs):
        view = views.get(request.method)
        if view is None:
            allowed = ", ".join(sorted(views))
            return error_response("ENDPOINT_NOT_FOUND", f"{request.method} is not allowed here; use {allowed}.", 405)
        return view(request, **kwargs)

    dispatch.views = views  # read by the tests that walk every MLflow route and method
    return dispatch


@csrf_exempt
def endpoint_not_found(request: HttpRequest, unknown: str = "") -> JsonResponse:
    return error_response("ENDPOINT_NOT_FOUND", f"No MLflow endpoint at {request.method} {request.path}.", 404)


class Fields:
    """The fields of one MLflow request: the query string for GET, the JSON body otherwise."""

    def __init__(self, values: dict, lists: dict):
        self._values = values
        self._lists = lists

    @classmethod
    def from_request(cls, request: HttpRequest, *, json_body: bool = True) -> "Fields":
        if request.method not in _BODY_METHODS or not json_body:
            query = request.GET
            return cls({key: query.get(key) for key in query}, {key: query.getlist(key) for key in query})
        body = _json_body(request)
        return cls(body, {})

    def as_sent(self, arrays: frozenset = frozenset()) -> dict:
        """The fields as MLflow's server reads them: the JSON body, or the query with `arrays` as lists."""
        if not self._lists:
            return self._values
        return {key: self._lists[key] if key in arrays else value for key, value in self._values.items()}

    def raw(self, name: str, default=None):
        return self._values.get(name, default)

    def text(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise InvalidParameter(f"Missing value for required parameter '{name}'.")
            return default
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise InvalidParameter(f"Parameter '{name}' must be a string, got {type(value).__name__}.")
        return str(value)

    def integer(self, name: str, *, default: int | None = None, required: bool = False) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise InvalidParameter(f"Missing value for required parameter '{name}'.")
            return default
        return parse_integer(value, name)

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise InvalidParameter(f"Parameter '{name}' must be a boolean, got {value!r}.")

    def strings(self, name: str) -> list[str]:
        """A repeated string field: a JSON list, or a repeated query parameter."""
        value = self._lists.get(name, self._values.get(name))
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list) or not all(isinstance(item, str | int) for item in value):
            raise InvalidParameter(f"Parameter '{name}' must be a list of strings.")
        return [str(item) for item in value]

    def objects(self, name: str) -> list[dict]:
        value = self._values.get(name) or []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise InvalidParameter(f"Parameter '{name}' must be a list of objects.")
        return value

    def key_values(self, name: str) -> list[tuple]:
        """`[{"key": k, "value": v}, …]` as (key, value) pairs; the services validate each pair."""
        return [(item.get("key"), item.get("value")) for item in self.objects(name)]


def parse_integer(value, name: str) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise InvalidParameter(f"Parameter '{name}' must be an integer, got {value!r}.")
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameter(f"Parameter '{name}' must be an integer, got '{value}'.") from None


def _json_body(request: HttpRequest) -> dict:
    if request.method in ("POST", "PUT"):
        # MLflow's server refuses a POST or PUT that does not say it is JSON; a browser form cannot send one.
        if not request.META.get("CONTENT_TYPE"):
            raise InvalidParameter("Bad Request. Content-Type header is missing.")
        if request.content_type != "application/json":
            raise InvalidParameter("Bad Request. Content-Type must be one of ['application/json'].")
    try:
        raw = request.body
    except RequestDataTooBig:
        raise InvalidParameter(
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes; send smaller batches."
        ) from None
    if not raw.strip():
        return {}
    # The bare NaN / Infinity constants MLflow clients send as metric values are accepted.
    body = json_loads_checked(raw, allow_constants=True)
    if not isinstance(body, dict):
        raise InvalidParameter("The request body must be a JSON object.")
    return body



def paged(payload: dict, page) -> dict:
    """Add `next_page_token` when the search says more results may exist."""
    if page.next_page_token:
        payload["next_page_token"] = page.next_page_token
    return payload


def offset_token_encode(offset: int) -> str:
    # The reference server's token shape: base64 of {"offset": N}, opaque to the client.
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def offset_token_decode(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.b64decode(token, validate=True))["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidParameter(f"Invalid page_token '{token}'.") from None
    if not isinstance(offset, int) or offset < 0:
        raise InvalidParameter(f"Invalid page_token '{token}'.")
    return offset
