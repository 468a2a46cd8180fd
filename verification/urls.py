from django.urls import path

from . import hub
from .documents import views
from .vouching import views as vouch_views

app_name = "verification"

urlpatterns = [
    path("", hub.hub, name="hub"),
    path("document/", views.document, name="document"),
    path("document/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("document/<int:pk>/thumb/<int:side>/", views.thumb, name="thumb"),
    path("review/<int:pk>/image/<int:side>/", views.reviewer_image, name="reviewer_image"),
    path("vouch/", vouch_views.vouch, name="vouch"),
    path("vouch/<int:pk>/withdraw/", vouch_views.vouch_withdraw, name="vouch_withdraw"),
    path("vouch/cases/<int:pk>/false/", vouch_views.vouch_mark_false, name="vouch_mark_false"),
    path("vouches/", vouch_views.vouches, name="vouches"),
    path("vouches/<int:pk>/", vouch_views.vouch_request, name="vouch_request"),
    path("vouches/<int:pk>/confirm/", vouch_views.vouch_request_confirm, name="vouch_request_confirm"),
    path("vouches/<int:pk>/decline/", vouch_views.vouch_request_decline, name="vouch_request_decline"),
]
