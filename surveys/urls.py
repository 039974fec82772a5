from django.urls import path

from .views import engagement, upload

urlpatterns = [
    path("surveys/<slug:code>/upload/", upload.upload_page, name="survey-upload"),
    path(
        "surveys/<slug:code>/upload/confirm/", upload.upload_confirm, name="survey-upload-confirm"
    ),
    path(
        "surveys/<slug:code>/upload/template.csv",
        upload.upload_template,
        name="survey-upload-template",
    ),
    path(
        "surveys/<slug:code>/upload/<str:token>/errors.xlsx",
        upload.upload_errors,
        name="survey-upload-errors",
    ),
    path("surveys/<slug:code>/engagement/", engagement.engagement_page, name="survey-engagement"),
]
