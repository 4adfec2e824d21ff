"""The site's URLs plus two views that fail, for the error pages' tests."""
from django.core.exceptions import PermissionDenied
from django.urls import path

from registry_site.urls import urlpatterns as site_urlpatterns


def refuse(request):
    raise PermissionDenied("not for you")


def crash(request):
    raise RuntimeError("a bug")


urlpatterns = [path("test-errors/403/", refuse), path("test-errors/500/", crash), *site_urlpatterns]
