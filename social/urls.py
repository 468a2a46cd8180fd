from django.urls import path

from . import views

app_name = "social"

urlpatterns = [
    path("", views.home, name="home"),
    path("friends/", views.friends, name="friends"),
    path("friends/add/<int:user_id>/", views.friend_request_send, name="friend_request_send"),
    path("friends/requests/<int:pk>/accept/", views.friend_request_accept, name="friend_request_accept"),
    path("friends/requests/<int:pk>/decline/", views.friend_request_decline, name="friend_request_decline"),
    path("friends/requests/<int:pk>/cancel/", views.friend_request_cancel, name="friend_request_cancel"),
    path("friends/remove/<int:user_id>/", views.friendship_remove, name="friendship_remove"),
    path("moments/<int:pk>/", views.moment_detail, name="moment"),
    path("moments/<int:pk>/delete/", views.moment_delete, name="moment_delete"),
    path("moments/<int:pk>/images/<int:position>/", views.moment_image, name="moment_image"),
    path("moments/<int:pk>/images/<int:position>/thumb/", views.moment_image, {"thumb": True},
         name="moment_image_thumb"),
    path("moments/<int:pk>/comments/", views.comment_create, name="comment_create"),
    path("moments/comments/<int:pk>/delete/", views.comment_delete, name="comment_delete"),
    path("u/<str:ref>/", views.profile, name="profile"),
]
