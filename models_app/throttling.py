"""Request rates per user (per address for anonymous callers) on the native and the MLflow APIs.

DRF's SimpleRateThrottle does the counting, in the default cache (Redis in deployments, so every web worker
shares one count). The rates are settings read at each request: REGISTRY_API_THROTTLE_RATE for signed-in
callers of the native API, REGISTRY_ANON_THROTTLE_RATE for anonymous ones, REGISTRY_MLFLOW_API_THROTTLE_RATE
for the MLflow API (whose clients log metrics one call at a time, so its default is higher).
"""
from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class _RegistryRateThrottle(SimpleRateThrottle):
    rate_setting = ""

    def get_rate(self):
        return getattr(settings, self.rate_setting) or None

    def _cache_key_for(self, request, user):
        ident = user.pk if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def refusal_message(self) -> str:
        wait = self.wait()
        after = f" Try again in {int(wait) + 1} seconds." if wait is not None else ""
        return f"Too many requests: the limit is {self.rate}.{after}"


class ApiUserRateThrottle(_RegistryRateThrottle):
    """Signed-in callers of the native API, counted per user."""

    scope = "user"
    rate_setting = "REGISTRY_API_THROTTLE_RATE"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self._cache_key_for(request, request.user)


class ApiAnonRateThrottle(_RegistryRateThrottle):
    """Anonymous callers of the native API, counted per address."""

    scope = "anon"
    rate_setting = "REGISTRY_ANON_THROTTLE_RATE"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self._cache_key_for(request, None)


class MlflowApiRateThrottle(_RegistryRateThrottle):
    """Callers of the MLflow API, per authenticated actor (the MLflow views authenticate from the header)."""

    scope = "mlflow"
    rate_setting = "REGISTRY_MLFLOW_API_THROTTLE_RATE"

    def __init__(self, actor):
        self.actor = actor
        super().__init__()

    def get_cache_key(self, request, view):
        return self._cache_key_for(request, self.actor)
