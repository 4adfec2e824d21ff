"""Approvals pages, mounted under /approvals/."""
from django.urls import path

from . import views

app_name = "approvals"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("inbox-count/", views.inbox_count, name="inbox_count"),
    path("requests/<int:pk>/", views.reviewrequest_detail, name="reviewrequest_detail"),
    path("requests/<int:pk>/validation/", views.reviewrequest_validation, name="reviewrequest_validation"),
    path("requests/<int:pk>/approve/", views.reviewrequest_approve, name="reviewrequest_approve"),
    path("requests/<int:pk>/reject/", views.reviewrequest_reject, name="reviewrequest_reject"),
    path("requests/<int:pk>/cancel/", views.reviewrequest_cancel, name="reviewrequest_cancel"),
    path("models/<str:name>/versions/<int:version>/requests/", views.version_requests, name="version_requests"),
    path("models/<str:name>/versions/<int:version>/validation/", views.version_validation, name="version_validation"),
    path("models/<str:name>/versions/<int:version>/validation/<int:pk>/repeat/", views.validation_run_repeat_view,
         name="validation_run_repeat"),
]
