from django.urls import path

from .views import hooks, manage, pages

urlpatterns = [
    path("connectors/", pages.connector_list, name="connector-list"),
    path("connectors/new/<str:kind>/", manage.connector_create, name="connector-create"),
    path("connectors/<slug:code>/", pages.connector_detail, name="connector-detail"),
    path("connectors/<slug:code>/edit/", manage.connector_edit, name="connector-edit"),
    path("connectors/<slug:code>/run/", manage.connector_run, name="connector-run"),
    path("connectors/<slug:code>/pause/", manage.connector_pause, name="connector-pause"),
    path("connectors/<slug:code>/resume/", manage.connector_resume, name="connector-resume"),
    path("connectors/<slug:code>/rotate/", manage.connector_rotate, name="connector-rotate"),
    path("connectors/<slug:code>/delete/", manage.connector_delete, name="connector-delete"),
    path("hooks/<str:token>/", hooks.receive, name="connector-webhook"),
]
