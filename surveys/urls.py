from django.urls import path

from .views import engagement, pages, upload

urlpatterns = [
    path("surveys/", pages.survey_list, name="survey-list"),
    path("survey-templates/engagement/", pages.create_engagement, name="survey-create-engagement"),
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
    path("surveys/<slug:code>/", pages.survey_results, name="survey-results"),
    path("surveys/<slug:code>/responses/", pages.survey_responses, name="survey-responses"),
    path("surveys/<slug:code>/engagement/", engagement.engagement_page, name="survey-engagement"),
]
