from django.urls import path

app_name = "verification"

urlpatterns: list = []
