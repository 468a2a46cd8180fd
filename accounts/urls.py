from django.urls import path

from . import views

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
]
