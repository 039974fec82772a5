from django.urls import path

from .views import pages

urlpatterns = [
    path("surveys/", pages.survey_list, name="survey-list"),
    path("surveys/from-template/", pages.create_engagement, name="survey-create-engagement"),
    # Part E: the upload routes (`survey-upload`, ...) go here, before the <code> routes.
    path("surveys/<slug:code>/", pages.survey_results, name="survey-results"),
    path("surveys/<slug:code>/responses/", pages.survey_responses, name="survey-responses"),
    # Part E: the engagement report, `surveys/<slug:code>/engagement/` named `survey-engagement`.
]
