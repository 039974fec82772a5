from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/scorecards/", views.scorecards_panel, name="home-scorecards"),
]
