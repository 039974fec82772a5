"""Django admin for connectors: read-only views of connectors, their latest runs and feeds.

Connectors are made and changed on the app's connector pages, through `connectors.services`
(the kind's checks, encrypted secrets, the beat schedule). The admin lists and shows them,
pauses or resumes them through `set_paused`, and deletes through `delete_connector` (which
drops the schedule too). Secrets are never shown: not the encrypted text, not the token hash.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Connector, Feed, Run

RUNS_INLINE = 20
CONNECTOR_FIELDS = [
    "organisation",
    "code",
    "name",
    "kind",
    "target",
    "survey",
    "owner",
    "schedule",
    "paused",
    "config",
    "token_hint",
    "notify_after",
    "failures_in_row",
    "last_run_at",
    "last_success_at",
    "watermark",
    "file_state",
    "created_at",
    "updated_at",
]
RUN_FIELDS = [
    "started_at",
    "finished_at",
    "trigger",
    "dry_run",
    "attempt",
    "status",
    "rows",
    "created",
    "updated",
    "unchanged",
    "error_count",
    "message",
]


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RunInline(ReadOnly, admin.TabularInline):
    model = Run
    fields = RUN_FIELDS
    readonly_fields = RUN_FIELDS
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("latest runs")

    def get_formset(self, request, obj=None, **kwargs):
        self.parent = obj  # an inline instance serves one request: get_queryset reads it next
        return super().get_formset(request, obj, **kwargs)

    def get_queryset(self, request):
        # This connector's newest runs only: on a 15-minute schedule it logs ~35,000 a year.
        parent = getattr(self, "parent", None)
        if parent is None:
            return super().get_queryset(request).none()
        latest = Run.objects.filter(connector=parent).order_by("-started_at", "-id").values("pk")
        return super().get_queryset(request).filter(pk__in=latest[:RUNS_INLINE])


class FeedInline(ReadOnly, admin.TabularInline):
    model = Feed
    fields = ["indicator", "last_delivered_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Connector)
class ConnectorAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["name", "code", "organisation", "kind", "target", "paused", "last_run_at"]
    list_filter = ["kind", "paused", "organisation"]
    search_fields = ["name", "code"]
    list_select_related = ["organisation"]
    fields = CONNECTOR_FIELDS
    readonly_fields = CONNECTOR_FIELDS
    inlines = [FeedInline, RunInline]
    actions = ["pause", "resume"]

    @admin.action(description=_("Pause the chosen connectors"))
    def pause(self, request, queryset):
        self._set_paused(request, queryset, True)

    @admin.action(description=_("Resume the chosen connectors"))
    def resume(self, request, queryset):
        self._set_paused(request, queryset, False)

    def _set_paused(self, request, queryset, paused: bool):
        count = 0
        for connector in queryset.select_related("organisation", "periodic_task"):
            services.set_paused(connector, paused)
            count += 1
        text = (
            ngettext("%(count)s connector paused.", "%(count)s connectors paused.", count)
            if paused
            else ngettext("%(count)s connector resumed.", "%(count)s connectors resumed.", count)
        )
        self.message_user(request, text % {"count": count}, messages.SUCCESS)

    def get_deleted_objects(self, objs, request):
        # The run log goes with its connector: no separate right to delete runs is needed.
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def delete_model(self, request, obj):
        services.delete_connector(obj)

    def delete_queryset(self, request, queryset):
        for connector in queryset:
            services.delete_connector(connector)


@admin.register(Run)
class RunAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["connector", "started_at", "trigger", "status", "rows", "created", "updated"]
    list_filter = ["status", "trigger", "dry_run", "connector__kind"]
    search_fields = ["connector__code", "connector__name", "message"]
    list_select_related = ["connector"]
    date_hierarchy = "started_at"
    fields = ["connector", *RUN_FIELDS, "errors", "retry_at", "watermark_from", "watermark_to"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return False
