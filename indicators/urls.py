from django.urls import path

from . import views

urlpatterns = [
    path("indicators/", views.indicator_list, name="indicator-list"),
    path("indicators/new/", views.indicator_create, name="indicator-create"),
    path("indicators/<str:code>/", views.indicator_detail, name="indicator-detail"),
    path("indicators/<str:code>/edit/", views.indicator_edit, name="indicator-edit"),
    path("indicators/<str:code>/comments/", views.comment_create, name="indicator-comment"),
    path("measurements/new/", views.measurement_create, name="measurement-create"),
    path("upload/", views.upload_page, name="upload"),
    path("upload/confirm/", views.upload_confirm, name="upload-confirm"),
    path("upload/template.xlsx", views.upload_template, name="upload-template"),
    path("upload/<str:token>/errors.xlsx", views.upload_errors, name="upload-errors"),
    path("deviations/", views.deviation_list, name="deviations"),
    path("deviations/<int:pk>/", views.deviation_update, name="deviation-update"),
]
