"""User-facing moderation pages, under stable URLs outside /review/ (ARCHITECTURE.md)."""

from django.urls import path

from . import public_views

# Not "moderation": that namespace is the queue's, under /review/.
app_name = "moderation_public"

urlpatterns = [
    path("me/status/", public_views.status, name="status"),
    path("me/closed/", public_views.closed, name="closed"),
    path("me/appeals/new/<int:penalty_pk>/", public_views.appeal_create, name="appeal_create"),
    path("report/<str:target_key>/<int:pk>/", public_views.report, name="report"),
]
