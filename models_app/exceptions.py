"""The registry's domain errors.

Each carries MLflow's error code and the HTTP status MLflow uses for it; the MLflow API and the
native API translate them once, in their exception handlers.
"""


class RegistryError(Exception):
    error_code = "INTERNAL_ERROR"
    http_status = 500

    def __init__(self, message: str, *, page_message: str = ""):
        super().__init__(message)
        self.message = message
        # The same refusal for a browser user, when the API's wording (an endpoint to call) would not help them.
        self.page_message = page_message or message


class InvalidParameter(RegistryError):
    error_code = "INVALID_PARAMETER_VALUE"
    http_status = 400


class FilterSyntaxError(InvalidParameter):
    """A search filter or order_by clause that cannot be parsed."""


class FilterTooComplex(InvalidParameter):
    """A search filter or order_by over the configured limits (clauses, length)."""


class InvalidState(RegistryError):
    error_code = "INVALID_STATE"
    http_status = 400


class NotFound(RegistryError):
    error_code = "RESOURCE_DOES_NOT_EXIST"
    http_status = 404


class AlreadyExists(RegistryError):
    error_code = "RESOURCE_ALREADY_EXISTS"
    http_status = 400


class PermissionDenied(RegistryError):
    error_code = "PERMISSION_DENIED"
    http_status = 403


class Unauthenticated(RegistryError):
    error_code = "UNAUTHENTICATED"
    http_status = 401


class RequestLimitExceeded(RegistryError):
    """Too many requests, or too many failed logins, from this caller (MLflow's code for HTTP 429)."""

    error_code = "REQUEST_LIMIT_EXCEEDED"
    http_status = 429
