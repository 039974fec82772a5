from django.urls import path

from .views import engagement, pages, settings, upload

urlpatterns = [
    path("surveys/", pages.survey_list, name="survey-list"),
    path("survey-templates/", settings.survey_templates, name="survey-templates"),
    # The list's one-click button for the staff survey; the same view as any template's form.
    path(
        "survey-templates/engagement/",
        settings.create_survey_from_template,
        {"template": "engagement"},
        name="survey-create-engagement",
    ),
    path(
        "survey-templates/<slug:template>/",
        settings.create_survey_from_template,
        name="survey-create-from-template",
    ),
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
    path("surveys/<slug:code>/settings/", settings.survey_settings, name="survey-settings"),
    path(
        "surveys/<slug:code>/settings/questions/",
        settings.add_question,
        name="survey-question-add",
    ),
    path("surveys/<slug:code>/delete/", settings.survey_delete, name="survey-delete"),
    path("surveys/<slug:code>/responses/", pages.survey_responses, name="survey-responses"),
    path("surveys/<slug:code>/engagement/", engagement.engagement_page, name="survey-engagement"),
]
