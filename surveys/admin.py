"""Django admin for surveys: a survey's settings with its questions shown inline, and the
responses read-only.

Questions carry rules (scales that answers were given on, indicator feeds that must be refed when
they change) that `surveys.services.update_survey` applies; the admin shows them and leaves their
changes to the API (`PATCH /api/v1/surveys/{code}/`). Responses arrive through the responses
service (API and upload), which keeps their revisions and feeds the bound indicators; the admin
only lists and shows them, filtered by survey and day.
"""

from django.contrib import admin

from .models import Question, Response, Survey


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["position", "code", "type", "text", "scale_min", "scale_max", "group", "indicator"]
    readonly_fields = fields
    ordering = ["position", "pk"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "organisation", "kind", "min_n"]
    readonly_fields = ["organisation", "code", "kind"]
    list_filter = ["organisation", "kind"]
    search_fields = ["name", "code"]
    inlines = [QuestionInline]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["respondent", "survey", "submitted_at", "local_date"]
    list_filter = ["survey__organisation", "survey", "local_date"]
    search_fields = ["respondent"]
    list_select_related = ["survey"]
    date_hierarchy = "local_date"
    readonly_fields = [
        "survey",
        "respondent",
        "submitted_at",
        "local_date",
        "attributes",
        "answers",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
