from django.urls import path

from . import reveal_views, views

app_name = "accounts"

urlpatterns = [
    path("agreement/", views.agreement, name="agreement"),
    path("me/", views.me, name="me"),
    path("me/phone/", views.phone, name="phone"),
    path("me/delete/", views.delete, name="delete"),
    path("me/delete/cancel/", views.delete_cancel, name="delete_cancel"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("healthz", views.healthz, name="healthz"),
    path("staff/identities/<int:pk>/reveal/", reveal_views.identity_reveal, name="identity_reveal"),
    path("staff/reveals/<int:pk>/", reveal_views.identity_revealed, name="identity_revealed"),
]
