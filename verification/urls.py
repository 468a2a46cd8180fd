from django.urls import path

from . import views

app_name = "verification"

urlpatterns = [
    path("", views.hub, name="hub"),
    path("document/", views.document, name="document"),
    path("document/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("document/<int:pk>/thumb/<int:side>/", views.thumb, name="thumb"),
    path("review/<int:pk>/image/<int:side>/", views.reviewer_image, name="reviewer_image"),
]
