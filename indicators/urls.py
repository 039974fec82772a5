from django.urls import path

from . import views
from .views import webhooks
from .views.spc import spc_update

urlpatterns = [
    path("indicators/", views.indicator_list, name="indicator-list"),
    path("indicators/new/", views.indicator_create, name="indicator-create"),
    path("indicators/<str:code>/", views.indicator_detail, name="indicator-detail"),
    path("indicators/<str:code>/edit/", views.indicator_edit, name="indicator-edit"),
    path("indicators/<str:code>/limits/", spc_update, name="indicator-spc"),
    path("indicators/<str:code>/comments/", views.comment_create, name="indicator-comment"),
    path("measurements/new/", views.measurement_create, name="measurement-create"),
    path("upload/", views.upload_page, name="upload"),
    path("upload/confirm/", views.upload_confirm, name="upload-confirm"),
    path("upload/template.xlsx", views.upload_template, name="upload-template"),
    path("upload/<str:token>/errors.xlsx", views.upload_errors, name="upload-errors"),
    path("deviations/", views.deviation_list, name="deviations"),
    path("deviations/<int:pk>/", views.deviation_detail, name="deviation-detail"),
    path("deviations/<int:pk>/update/", views.deviation_update, name="deviation-update"),
    path("settings/webhooks/", webhooks.webhook_list, name="webhooks"),
    path("settings/webhooks/new/", webhooks.webhook_create, name="webhook-create"),
    path("settings/webhooks/<int:pk>/", webhooks.webhook_edit, name="webhook-edit"),
    path("settings/webhooks/<int:pk>/delete/", webhooks.webhook_delete, name="webhook-delete"),
    path(
        "settings/webhooks/<int:pk>/secret/",
        webhooks.webhook_rotate_secret,
        name="webhook-rotate-secret",
    ),
    path(
        "settings/webhooks/<int:pk>/deliveries/",
        webhooks.webhook_deliveries,
        name="webhook-deliveries",
    ),
    path(
        "settings/webhooks/deliveries/<int:pk>/send-again/",
        webhooks.webhook_send_again,
        name="webhook-send-again",
    ),
]
