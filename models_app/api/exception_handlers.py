"""Domain errors become DRF responses in one place."""
from rest_framework.response import Response
from rest_framework.views import exception_handler

from ..exceptions import RegistryError


def registry_exception_handler(exc, context):
    if isinstance(exc, RegistryError):
        return Response({"error_code": exc.error_code, "detail": exc.message}, status=exc.http_status)
    return exception_handler(exc, context)
