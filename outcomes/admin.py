"""Django admin for the results chain. Every write goes through `outcomes.services`:

- initiatives are saved by `create_initiative` / `update_initiative` and deleted by
  `delete_initiative(confirm=True)` (the admin's own confirmation page is the confirm: it lists
  its activities and outputs, which go with it, the arrows of other nodes into or out of them,
  which go too, its outcomes and impacts, which stay, and the objectives that lose it);
- chain nodes, with their indicators (the inline) and the nodes they contribute to, are saved by
  one `create_node` / `update_node` call and deleted by `delete_node(confirm=True)`;
- a chain link is added by `link_nodes` and removed by `unlink_nodes`.

The forms are validated by the services themselves: `clean` runs the save in a savepoint and
rolls it back, so the admin shows the same messages as the pages and the API, on the field.
Status, score and its source are computed, so they are read-only.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.service_forms import ServiceValidatedForm
from core.service_forms import dry_run as _dry_run

from .models import ChainLink, ChainNode, Initiative, NodeIndicator
from .services import (
    create_initiative,
    create_node,
    delete_initiative,
    delete_node,
    initiative_deletion,
    link_nodes,
    objective_title,
    unlink_nodes,
    update_initiative,
    update_node,
)

INITIATIVE_FIELDS = ["title", "description", "owner", "start", "end", "state", "budget"]
NODE_FIELDS = ["level", "title", "description", "initiative"]


# -- initiatives ----------------------------------------------------------------------------------


def deletion_lines(deletion) -> list[str]:
    """The admin's confirmation lines for what goes with an initiative, in chain order."""
    lines = [_("%(node)s (deleted with its links)") % {"node": node} for node in deletion.deleted]
    lines += [_("Arrow %(arrow)s (deleted)") % {"arrow": arrow} for arrow in deletion.arrows]
    lines += [
        _("%(node)s (kept, without an initiative)") % {"node": node} for node in deletion.kept
    ]
    lines += [
        _("Objective %(objective)s (kept; it no longer lists the initiative)")
        % {"objective": objective_title(label)}
        for _pk, label in deletion.objectives
    ]
    return lines


def initiative_data(form: forms.ModelForm) -> dict:
    return {
        name: form.cleaned_data[name] for name in INITIATIVE_FIELDS if name in form.cleaned_data
    }


def save_initiative(form: forms.ModelForm) -> Initiative:
    if form.instance.pk is None:
        return create_initiative(
            organisation=form.cleaned_data["organisation"], data=initiative_data(form)
        )
    initiative = Initiative.objects.get(pk=form.instance.pk)
    return update_initiative(initiative=initiative, data=initiative_data(form))


class InitiativeAdminForm(ServiceValidatedForm):
    class Meta:
        model = Initiative
        fields = ["organisation", *INITIATIVE_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            _dry_run(self, lambda: save_initiative(self))
        return cleaned


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    form = InitiativeAdminForm
    list_display = ["title", "organisation", "state", "owner", "start", "end", "budget"]
    list_filter = ["organisation", "state"]
    search_fields = ["title", "description"]
    list_select_related = ["organisation", "owner"]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # The services move nothing between organisations.
        return [*self.readonly_fields, *(["organisation"] if obj else [])]

    def save_model(self, request, obj, form, change):
        saved = save_initiative(form)
        obj.pk, obj._state.adding = saved.pk, False

    def get_deleted_objects(self, objs, request):
        # The nodes protect their initiative in the database; the service deletes its
        # activities and outputs (and every arrow into or out of them) and keeps its outcomes
        # and impacts, as the page lists, and the objectives it serves lose it.
        deleted, counts, perms, _protected = super().get_deleted_objects(objs, request)
        for initiative in objs:
            deleted.extend(deletion_lines(initiative_deletion(initiative=initiative)))
        return deleted, counts, perms, []

    def delete_model(self, request, obj):
        delete_initiative(initiative=obj, confirm=True)

    def delete_queryset(self, request, queryset):
        for initiative in queryset:
            delete_initiative(initiative=initiative, confirm=True)


# -- chain nodes ----------------------------------------------------------------------------------


class NodeAdminForm(ServiceValidatedForm):
    """A node's fields and the nodes it contributes to; its indicators are the inline, checked
    by the service in the inline's formset (which sees both)."""

    # Not named contributes_to: the admin refuses a field of that name (a through model).
    targets = forms.ModelMultipleChoiceField(
        label=_("Contributes to"),
        queryset=ChainNode.objects.select_related("organisation").order_by("organisation", "pk"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Nodes of a higher level of the same organisation only."),
    )

    class Meta:
        model = ChainNode
        fields = ["organisation", *NODE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            targets = self.fields["targets"]
            targets.initial = list(self.instance.links_up.values_list("target_id", flat=True))
            targets.queryset = targets.queryset.exclude(pk=self.instance.pk)

    def node_data(self, indicators=None) -> dict:
        data = {name: self.cleaned_data.get(name) for name in NODE_FIELDS}
        data["description"] = data["description"] or ""
        data["contributes_to"] = list(self.cleaned_data.get("targets") or [])
        if indicators is not None:
            data["indicators"] = indicators
        return data

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            # The indicators are the inline's to check: here the fields of the form.
            _dry_run(
                self,
                lambda: save_node(self, self.node_data()),
                aliases={"contributes_to": "targets"},
            )
            self.instance.admin_form = self
        return cleaned


def save_node(form: NodeAdminForm, data: dict) -> ChainNode:
    if form.instance.pk is None:
        return create_node(organisation=form.cleaned_data["organisation"], data=data)
    return update_node(node=ChainNode.objects.get(pk=form.instance.pk), data=data)


def measure_items(formset) -> list:
    return [
        (form.cleaned_data["indicator"], form.cleaned_data.get("weight", 1.0))
        for form in formset.forms
        if form.cleaned_data
        and form.cleaned_data.get("indicator")
        and not form.cleaned_data.get("DELETE")
    ]


class MeasureFormSet(forms.BaseInlineFormSet):
    """The node's indicators, checked by the service with the node's fields (weights, another
    organisation's indicator, one listed twice) before anything is saved."""

    def clean(self):
        # Not the model formset's unique check: the service says "listed twice" in words.
        node_form = getattr(self.instance, "admin_form", None)
        if any(self.errors) or node_form is None or node_form.errors:
            return
        data = node_form.node_data(indicators=measure_items(self))
        try:
            with transaction.atomic():
                save_node(node_form, data)
                transaction.set_rollback(True)
        except ValidationError as error:
            problems = error.message_dict.get("indicators")
            if problems:
                raise ValidationError(problems) from None


class MeasureAdminForm(ServiceValidatedForm):
    class Meta:
        model = NodeIndicator
        fields = ["indicator", "weight"]


class NodeIndicatorInline(admin.TabularInline):
    model = NodeIndicator
    form = MeasureAdminForm
    formset = MeasureFormSet
    verbose_name = _("indicator")
    verbose_name_plural = _("indicators that measure it (each with its weight)")
    fields = ["indicator", "weight"]
    extra = 0


@admin.register(ChainNode)
class ChainNodeAdmin(admin.ModelAdmin):
    form = NodeAdminForm
    list_display = ["title", "level", "organisation", "initiative", "status", "score"]
    list_filter = ["organisation", "level", "status"]
    search_fields = ["title", "description"]
    list_select_related = ["organisation", "initiative"]
    inlines = [NodeIndicatorInline]
    readonly_fields = ["status", "score", "status_source", "status_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["organisation", "level", "title", "description", "initiative"]}),
        (_("Results chain"), {"fields": ["targets"]}),
        (
            _("Status (worked out from the indicators and contributors)"),
            {"fields": ["status", "score", "status_source", "status_at"]},
        ),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *(["organisation"] if obj else [])]

    def save_model(self, request, obj, form, change):
        """Saved in save_related, with its indicators and links, by one service call."""

    def save_related(self, request, form, formsets, change):
        measures = [f for f in formsets if f.model is NodeIndicator]
        indicators = measure_items(measures[0]) if measures else None
        node = save_node(form, form.node_data(indicators=indicators))
        form.instance.pk, form.instance._state.adding = node.pk, False
        for formset in formsets:
            formset.save(commit=False)  # writes nothing; lists the changes for the history

    def delete_model(self, request, obj):
        delete_node(node=obj, confirm=True)

    def delete_queryset(self, request, queryset):
        for node in queryset:
            delete_node(node=node, confirm=True)


# -- chain links ----------------------------------------------------------------------------------


class LinkAdminForm(ServiceValidatedForm):
    class Meta:
        model = ChainLink
        fields = ["source", "target"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            _dry_run(
                self,
                lambda: link_nodes(source=cleaned["source"], target=cleaned["target"]),
                aliases={"contributes_to": "target"},
            )
        return cleaned


@admin.register(ChainLink)
class ChainLinkAdmin(admin.ModelAdmin):
    form = LinkAdminForm
    list_display = ["source", "target", "created_at"]
    list_filter = ["source__organisation", "source__level", "target__level"]
    search_fields = ["source__title", "target__title"]
    list_select_related = ["source", "target"]

    def has_change_permission(self, request, obj=None):
        return False  # an arrow is added or removed, never moved

    def save_model(self, request, obj, form, change):
        link = link_nodes(source=obj.source, target=obj.target)
        obj.pk, obj._state.adding = link.pk, False

    def delete_model(self, request, obj):
        unlink_nodes(source=obj.source, target=obj.target)

    def delete_queryset(self, request, queryset):
        for link in queryset.select_related("source", "target"):
            unlink_nodes(source=link.source, target=link.target)
