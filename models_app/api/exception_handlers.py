"""Domain errors become DRF responses in one place; paths under /api/v1/ that match nothing answer in the same shape."""
from django.http import HttpRequest, JsonResponse
from rest_framework.response import Response
from rest_framework.views import exception_handler

from ..exceptions import RegistryError


def registry_exception_handler(exc, context):
    if isinstance(exc, RegistryError):
        return Response({"error_code": exc.error_code, "detail": exc.message}, status=exc.http_status)
    return exception_handler(exc, context)


def native_error_response(error_code: str, detail: str, status: int) -> JsonResponse:
    """The native API's error shape, for answers given outside DRF (unmatched paths, refused input)."""
    return JsonResponse({"error_code": error_code, "detail": detail}, status=status)


def endpoint_not_found(request: HttpRequest) -> JsonResponse:
    """An /api/v1/ path no route matches: ids in paths are positive integers, so `/review-requests/AAA/` lands here."""
    return native_error_response(
        "ENDPOINT_NOT_FOUND",
        f"No API endpoint at {request.method} {request.path}. Ids and version numbers in paths are positive "
        "integers; the schema at /api/schema/ lists every endpoint.", 404)
