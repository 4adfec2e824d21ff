"""Bad input answered with a 4xx in the shape of the API it was sent to, before or instead of a 500.

Two parts, both for every route (MLflow API, native API, pages):

- Text the database cannot hold is refused before any view runs: PostgreSQL text cannot contain NUL, so
  `/api/v1/models/a%00b/` or `?q=a%00b` used to fail inside a query. Paths, query strings and form
  fields are checked here; JSON bodies are checked by models_app/json_input.py.
- A domain error a page view lets through (an out-of-range `?left=` on the compare page) is answered with
  its status and message.
- What still reaches the database and fails because of the request's values (a number out of range, a
  value too long) becomes a 400, and a statement cancelled by `statement_timeout` becomes a 503, instead of
  a bare 500.
"""
from django.conf import settings
from django.db import DataError, OperationalError
from django.http import HttpRequest, HttpResponse

from .api.exception_handlers import native_error_response
from .exceptions import RegistryError
from .json_input import text_problem
from .mlflow_api.base import error_response

_MLFLOW_PREFIXES = ("/api/2.0/", "/api/3.0/", "/ajax-api/")
_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by statement_timeout
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


class BadInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if problem := unstorable_request_text(request):
            return bad_input_response(request, "INVALID_PARAMETER_VALUE", problem, 400)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, RegistryError):
            # The APIs translate their domain errors themselves; this is for pages (a 400 that says why).
            return bad_input_response(request, exception.error_code, exception.message, exception.http_status)
        if isinstance(exception, DataError):
            return bad_input_response(request, "INVALID_PARAMETER_VALUE",
                                      f"A value in the request cannot be stored or compared: {exception}".strip(), 400)
        if isinstance(exception, OperationalError) and _sqlstate(exception) == _QUERY_CANCELED:
            limit = settings.DATABASE_STATEMENT_TIMEOUT_MS
            return bad_input_response(
                request, "TEMPORARILY_UNAVAILABLE",
                f"The database stopped this request's query after {limit} ms (DATABASE_STATEMENT_TIMEOUT_MS). "
                "Narrow the request (a more selective filter, fewer results per page) or try again later.", 503)
        return None


def unstorable_request_text(request: HttpRequest) -> str:
    """Why the request's path, query string or form fields cannot be stored ('' when they can)."""
    places = [("the path", request.path)]
    places += [(f"query parameter {key[:40]!r}", text) for key, values in request.GET.lists()
               for text in (key, *values)]
    if request.method == "POST" and _reads_form(request):
        places += [(f"form field {key[:40]!r}", text) for key, values in request.POST.lists()
                   for text in (key, *values)]
    for where, text in places:
        if problem := text_problem(text):
            return f"The request cannot be stored: {where} contains {problem}."
    return ""


def _reads_form(request: HttpRequest) -> bool:
    # Multipart bodies only on pages, whose views read request.POST anyway; the APIs parse their own uploads
    # from the stream, which reading it here would consume.
    if request.content_type == _MULTIPART:
        return not request.path.startswith(("/api/", "/ajax-api/"))
    return request.content_type == _FORM


def bad_input_response(request: HttpRequest, error_code: str, message: str, status: int) -> HttpResponse:
    """MLflow's error shape on MLflow paths, the native API's under /api/, plain text on pages."""
    if request.path.startswith(_MLFLOW_PREFIXES):
        return error_response(error_code, message, status)
    if request.path.startswith("/api/"):
        return native_error_response(error_code, message, status)
    return HttpResponse(f"{message}\n", content_type="text/plain; charset=utf-8", status=status)


def _sqlstate(error: Exception) -> str | None:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
