from django.urls import path

from . import views

app_name = "moderation"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("claim-next/", views.claim_next, name="claim_next"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/claim/", views.claim, name="claim"),
    path("items/<int:pk>/release/", views.release, name="release"),
    path("items/<int:pk>/decide/", views.decide, name="decide"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
