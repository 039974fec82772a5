from django.urls import path

from .views import hooks

urlpatterns: list = [
    path("hooks/<str:token>/", hooks.receive, name="connector-webhook"),
]
