from django.urls import path

from . import views

app_name = "publicaccounts"

urlpatterns = [
    path("publicaccounts/new/", views.register, name="register"),
    path("publicaccounts/mine/", views.mine, name="mine"),
    path("publicaccounts/feed/", views.feed, name="feed"),
    path("publicaccounts/review/qualifications/<int:pk>/scan/", views.qualification_scan, name="qualification_scan"),
    path("p/<slug:handle>/", views.account, name="account"),
    path("p/<slug:handle>/subscribe/", views.subscribe, name="subscribe"),
    path("p/<slug:handle>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path("p/<slug:handle>/articles/new/", views.article_create, name="article_create"),
    path("p/<slug:handle>/a/<int:pk>/", views.article_detail, name="article"),
    path("p/<slug:handle>/a/<int:pk>/edit/", views.article_edit, name="article_edit"),
    path("p/<slug:handle>/a/<int:pk>/delete/", views.article_delete, name="article_delete"),
    path("p/<slug:handle>/qualifications/new/", views.qualification_apply, name="qualification_apply"),
]
