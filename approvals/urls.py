"""Approvals pages, mounted under /approvals/."""
from django.urls import path

from models_app import converters  # noqa: F401  (registers the id and version converters)

from . import views

app_name = "approvals"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("inbox-count/", views.inbox_count, name="inbox_count"),
    path("requests/<id:pk>/", views.reviewrequest_detail, name="reviewrequest_detail"),
    path("requests/<id:pk>/validation/", views.reviewrequest_validation, name="reviewrequest_validation"),
    path("requests/<id:pk>/approve/", views.reviewrequest_approve, name="reviewrequest_approve"),
    path("requests/<id:pk>/reject/", views.reviewrequest_reject, name="reviewrequest_reject"),
    path("requests/<id:pk>/cancel/", views.reviewrequest_cancel, name="reviewrequest_cancel"),
    path("models/<str:name>/policy/", views.model_policy, name="model_policy"),
    path("models/<str:name>/versions/<version:version>/requests/", views.version_requests, name="version_requests"),
    path("models/<str:name>/versions/<version:version>/validation/", views.version_validation,
         name="version_validation"),
    path("models/<str:name>/versions/<version:version>/validation/<id:pk>/repeat/", views.validation_run_repeat_view,
         name="validation_run_repeat"),
]
