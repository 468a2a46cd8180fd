from django.urls import path

app_name = "publicaccounts"

urlpatterns: list = []
