"""Django admin for scorecards. Every write goes through `scorecard.services`:

- a scorecard is saved by `create_scorecard` / `update_scorecard` (a new one without perspective
  rows gets its preset's four) and deleted by `delete_scorecard`; its perspectives (the inline)
  by `create_perspective` / `update_perspective` / `delete_perspective`;
- a perspective page's objectives (the inline) by `create_objective` / `update_objective` /
  `delete_objective`;
- an objective, with its measures (the inline), initiatives and the objectives it contributes
  to, by one `create_objective` / `update_objective` call;
- a measure by `add_measure` / `update_measure` / `remove_measure`, a cause-effect link by
  `link_objectives` / `unlink_objectives`. Scores are the services' to keep: read-only.

The forms are validated by the services themselves: `clean` runs the save in a savepoint and
rolls it back, so the admin shows the same messages as the pages and the API, on the field.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.service_forms import ServiceValidatedForm, add_service_errors
from core.service_forms import dry_run as _dry_run

from .forms import PhrasesField
from .models import Measure, Objective, ObjectiveLink, Perspective, Score, Scorecard
from .services import (
    add_measure,
    create_objective,
    create_perspective,
    create_scorecard,
    delete_objective,
    delete_perspective,
    delete_scorecard,
    link_objectives,
    remove_measure,
    unlink_objectives,
    update_measure,
    update_objective,
    update_perspective,
    update_scorecard,
)
from .services.checks import weight_errors

SCORECARD_FIELDS = [
    "name",
    "description",
    "scope",
    "preset",
    "period",
    "on_track_from",
    "at_risk_from",
    "max_measures_per_objective",
    "generic_phrases",
]
PERSPECTIVE_FIELDS = ["kind", "label", "position", "weight"]
OBJECTIVE_FIELDS = ["title", "voice", "description", "owner", "weight", "position"]


class RowError(Exception):
    """A service refused one inline row: `form` is the row, `error` the service's."""

    def __init__(self, form, error: ValidationError):
        super().__init__(str(error))
        self.form, self.error = form, error


class ServiceInlineFormSet(forms.BaseInlineFormSet):
    """Inline rows written one service call each (deleted, changed, then new rows), checked by
    a rolled-back run of the parent's save with them, so a refusal lands on its row's field."""

    def rows(self):
        """(form, 'delete' | 'update' | 'create') of the rows that change something."""
        found = []
        for form in self.forms:
            if not getattr(form, "cleaned_data", None):
                continue
            if form.instance.pk is not None:
                if form.cleaned_data.get("DELETE"):
                    found.append((form, "delete"))
                elif form.has_changed():
                    found.append((form, "update"))
            elif not form.cleaned_data.get("DELETE") and form.has_changed():
                found.append((form, "create"))
        order = {"delete": 0, "update": 1, "create": 2}
        return sorted(found, key=lambda row: order[row[1]])

    def clean(self):
        # Not the model formset's unique checks: the services say it in words.
        parent_form = getattr(self.instance, "admin_form", None)
        if any(self.errors) or parent_form is None or parent_form.errors:
            return
        try:
            with transaction.atomic():
                parent_form.admin_save(self)
                transaction.set_rollback(True)
        except RowError as refused:
            add_service_errors(refused.form, refused.error)
        except ValidationError as error:
            raise ValidationError(error.messages) from None

    def apply(self, parent, create, update, delete) -> None:
        for form, action in self.rows():
            try:
                if action == "delete":
                    delete(form.instance.__class__.objects.get(pk=form.instance.pk))
                elif action == "update":
                    fresh = form.instance.__class__.objects.get(pk=form.instance.pk)
                    update(fresh, {name: form.cleaned_data[name] for name in form.changed_data})
                else:
                    names = [n for n in form._meta.fields if n in form.cleaned_data]
                    create(parent, {name: form.cleaned_data[name] for name in names})
            except ValidationError as error:
                raise RowError(form, error) from error


class ParentAdminForm(ServiceValidatedForm):
    """A form whose `admin_save(rows=None)` saves it with its inline's rows: checked by a dry
    run of the save (alone here, with the rows in the inline formset's `clean`), which finds
    the form as `instance.admin_form`."""

    service_aliases: dict[str, str] = {}

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            _dry_run(self, self.admin_save, aliases=self.service_aliases)
            self.instance.admin_form = self
        return cleaned


def _clean_row_data(data: dict, blank_text=("label", "voice", "description")) -> dict:
    data = {k: v for k, v in data.items() if k != "DELETE"}
    for name in blank_text:
        if name in data and data[name] is None:
            data[name] = ""
    if data.get("position") is None:
        data.pop("position", None)
    return data


# -- scorecards -----------------------------------------------------------------------------------


class ScorecardAdminForm(ParentAdminForm):
    generic_phrases = PhrasesField(
        label=_("Generic phrases"), required=False, help_text=_("One per line.")
    )

    class Meta:
        model = Scorecard
        fields = ["organisation", *SCORECARD_FIELDS]

    def scorecard_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in SCORECARD_FIELDS}
        data["description"] = data["description"] or ""
        return data

    def admin_save(self, perspectives=None) -> Scorecard:
        """Save the scorecard and the perspective rows of `perspectives` (an inline formset)."""
        data = self.scorecard_data()
        if self.instance.pk is None:
            rows = perspectives.rows() if perspectives is not None else []
            if rows:
                data["perspectives"] = []  # the rows are the perspectives, not the preset's
            scorecard = create_scorecard(organisation=self.cleaned_data["organisation"], data=data)
        else:
            scorecard = update_scorecard(
                scorecard=Scorecard.objects.get(pk=self.instance.pk), data=data
            )
        if perspectives is not None:
            perspectives.apply(
                scorecard,
                create=lambda sc, d: create_perspective(scorecard=sc, data=_clean_row_data(d)),
                update=lambda p, d: update_perspective(perspective=p, data=_clean_row_data(d)),
                delete=lambda p: delete_perspective(perspective=p),
            )
        return scorecard


class PerspectiveAdminInlineForm(ServiceValidatedForm):
    class Meta:
        model = Perspective
        fields = PERSPECTIVE_FIELDS


class PerspectiveInline(admin.TabularInline):
    model = Perspective
    form = PerspectiveAdminInlineForm
    formset = ServiceInlineFormSet
    fields = PERSPECTIVE_FIELDS
    extra = 0
    show_change_link = True


def _save_with_inline(form, formsets, model) -> object:
    rows = [f for f in formsets if f.model is model]
    saved = form.admin_save(rows[0] if rows else None)
    form.instance.pk, form.instance._state.adding = saved.pk, False
    for formset in formsets:
        formset.save(commit=False)  # writes nothing; lists the changes for the history
    return saved


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    form = ScorecardAdminForm
    inlines = [PerspectiveInline]
    list_display = ["name", "organisation", "scope", "preset", "period", "scores_at"]
    list_filter = ["organisation", "scope", "preset", "period"]
    search_fields = ["name", "description"]
    list_select_related = ["organisation"]
    readonly_fields = ["scores_at", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # The services move nothing between organisations.
        return [*self.readonly_fields, *(["organisation"] if obj else [])]

    def save_model(self, request, obj, form, change):
        """Saved in save_related, with its perspectives, by the services."""

    def get_deleted_objects(self, objs, request):
        # Its score history goes with it: nobody deletes scores by hand, so no one needs the
        # permission the Score admin withholds.
        deleted, counts, perms, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms - {str(Score._meta.verbose_name)}, protected

    def save_related(self, request, form, formsets, change):
        _save_with_inline(form, formsets, Perspective)

    def delete_model(self, request, obj):
        delete_scorecard(scorecard=obj)

    def delete_queryset(self, request, queryset):
        for scorecard in queryset:
            delete_scorecard(scorecard=scorecard)


# -- perspectives ---------------------------------------------------------------------------------


class PerspectiveAdminForm(ParentAdminForm):
    class Meta:
        model = Perspective
        fields = ["scorecard", *PERSPECTIVE_FIELDS]

    def admin_save(self, objectives=None) -> Perspective:
        data = _clean_row_data({name: self.cleaned_data[name] for name in PERSPECTIVE_FIELDS})
        if self.instance.pk is None:
            perspective = create_perspective(scorecard=self.cleaned_data["scorecard"], data=data)
        else:
            perspective = update_perspective(
                perspective=Perspective.objects.get(pk=self.instance.pk), data=data
            )
        if objectives is not None:
            objectives.apply(
                perspective,
                create=lambda p, d: create_objective(perspective=p, data=_clean_row_data(d)),
                update=lambda o, d: update_objective(objective=o, data=_clean_row_data(d)),
                delete=lambda o: delete_objective(objective=o),
            )
        return perspective


class ObjectiveRowForm(ServiceValidatedForm):
    class Meta:
        model = Objective
        fields = ["title", "owner", "weight", "position"]


class ObjectiveInline(admin.TabularInline):
    model = Objective
    form = ObjectiveRowForm
    formset = ServiceInlineFormSet
    fields = ["title", "owner", "weight", "position"]
    extra = 0
    show_change_link = True


@admin.register(Perspective)
class PerspectiveAdmin(admin.ModelAdmin):
    form = PerspectiveAdminForm
    inlines = [ObjectiveInline]
    list_display = ["__str__", "kind", "scorecard", "position", "weight"]
    list_filter = ["kind", "scorecard__organisation"]
    list_select_related = ["scorecard"]

    def get_readonly_fields(self, request, obj=None):
        return ["scorecard"] if obj else []

    def save_model(self, request, obj, form, change):
        """Saved in save_related, with its objectives, by the services."""

    def save_related(self, request, form, formsets, change):
        _save_with_inline(form, formsets, Objective)

    def delete_model(self, request, obj):
        delete_perspective(perspective=obj)

    def delete_queryset(self, request, queryset):
        for perspective in queryset:
            delete_perspective(perspective=perspective)


# -- objectives -----------------------------------------------------------------------------------


class ObjectiveAdminForm(ParentAdminForm):
    """An objective's fields, initiatives and the objectives it contributes to; its measures
    are the inline, checked by the service with them in the inline's formset."""

    service_aliases = {"contributes_to": "targets"}

    # Not named contributes_to: the admin refuses a field of that name (a through model).
    targets = forms.ModelMultipleChoiceField(
        label=_("Contributes to"),
        queryset=Objective.objects.select_related("perspective__scorecard").order_by(
            "perspective__scorecard", "perspective__position", "position", "pk"
        ),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Objectives of the same scorecard; any direction except a cycle."),
    )

    class Meta:
        model = Objective
        fields = ["perspective", *OBJECTIVE_FIELDS, "initiatives"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            targets = self.fields["targets"]
            targets.initial = list(self.instance.links_out.values_list("target_id", flat=True))
            targets.queryset = targets.queryset.filter(
                perspective__scorecard=self.instance.perspective.scorecard_id
            ).exclude(pk=self.instance.pk)

    def objective_data(self, measures=None) -> dict:
        data = {name: self.cleaned_data.get(name) for name in OBJECTIVE_FIELDS}
        data = _clean_row_data(data)
        data["perspective"] = self.cleaned_data["perspective"]
        data["initiatives"] = list(self.cleaned_data.get("initiatives") or [])
        data["contributes_to"] = list(self.cleaned_data.get("targets") or [])
        if measures is not None:
            data["measures"] = measures
        return data

    def admin_save(self, measures=None) -> Objective:
        data = self.objective_data(measures)
        if self.instance.pk is None:
            return create_objective(perspective=data.pop("perspective"), data=data)
        return update_objective(objective=Objective.objects.get(pk=self.instance.pk), data=data)


def measure_items(formset) -> list:
    return [
        (form.cleaned_data["indicator"], form.cleaned_data.get("weight", 1.0))
        for form in formset.forms
        if getattr(form, "cleaned_data", None)
        and form.cleaned_data.get("indicator")
        and not form.cleaned_data.get("DELETE")
    ]


class MeasureFormSet(forms.BaseInlineFormSet):
    """The objective's measures, checked by the service with the objective's fields (weights,
    another organisation's indicator, one listed twice) before anything is saved."""

    def clean(self):
        # Not the model formset's unique check: the service says "twice" in words.
        objective_form = getattr(self.instance, "admin_form", None)
        if any(self.errors) or objective_form is None or objective_form.errors:
            return
        try:
            with transaction.atomic():
                objective_form.admin_save(measure_items(self))
                transaction.set_rollback(True)
        except ValidationError as error:
            problems = error.message_dict.get("measures")
            if problems:
                raise ValidationError(problems) from None


class MeasureRowForm(ServiceValidatedForm):
    class Meta:
        model = Measure
        fields = ["indicator", "weight"]


class MeasureInline(admin.TabularInline):
    model = Measure
    form = MeasureRowForm
    formset = MeasureFormSet
    fields = ["indicator", "weight"]
    verbose_name_plural = _("measures (indicators, each with its weight)")
    extra = 0


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    form = ObjectiveAdminForm
    inlines = [MeasureInline]
    list_display = ["title", "perspective", "owner", "weight", "position"]
    list_filter = ["perspective__kind", "perspective__scorecard__organisation"]
    search_fields = ["title", "voice", "description"]
    list_select_related = ["perspective__scorecard", "owner"]
    filter_horizontal = ["initiatives"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        """Saved in save_related, with its measures and links, by one service call."""

    def save_related(self, request, form, formsets, change):
        rows = [f for f in formsets if f.model is Measure]
        saved = form.admin_save(measure_items(rows[0]) if rows else None)
        form.instance.pk, form.instance._state.adding = saved.pk, False
        for formset in formsets:
            formset.save(commit=False)  # writes nothing; lists the changes for the history

    def delete_model(self, request, obj):
        delete_objective(objective=obj)

    def delete_queryset(self, request, queryset):
        for objective in queryset:
            delete_objective(objective=objective)


# -- measures, links, scores ----------------------------------------------------------------------


class MeasureAdminForm(ServiceValidatedForm):
    class Meta:
        model = Measure
        fields = ["objective", "indicator", "weight"]

    def admin_save(self) -> Measure:
        c = self.cleaned_data
        if self.instance.pk is None:
            return add_measure(
                objective=c["objective"], indicator=c["indicator"], weight=c["weight"]
            )
        return update_measure(measure=Measure.objects.get(pk=self.instance.pk), weight=c["weight"])

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            weight_refused = weight_errors(cleaned.get("weight"))
            field = "weight" if self.instance.pk or weight_refused else "indicator"
            _dry_run(self, self.admin_save, aliases={"measures": field})
        return cleaned


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    form = MeasureAdminForm
    list_display = ["indicator", "objective", "weight", "position"]
    list_filter = ["objective__perspective__scorecard__organisation"]
    list_select_related = ["indicator", "objective"]

    def get_readonly_fields(self, request, obj=None):
        return ["objective", "indicator"] if obj else []  # a measure changes only its weight

    def save_model(self, request, obj, form, change):
        saved = form.admin_save()
        obj.pk, obj._state.adding = saved.pk, False

    def delete_model(self, request, obj):
        remove_measure(measure=obj)

    def delete_queryset(self, request, queryset):
        for measure in queryset.select_related("objective"):
            remove_measure(measure=measure)


class LinkAdminForm(ServiceValidatedForm):
    class Meta:
        model = ObjectiveLink
        fields = ["source", "target"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            _dry_run(
                self,
                lambda: link_objectives(source=cleaned["source"], target=cleaned["target"]),
                aliases={"contributes_to": "target"},
            )
        return cleaned


@admin.register(ObjectiveLink)
class ObjectiveLinkAdmin(admin.ModelAdmin):
    form = LinkAdminForm
    list_display = ["source", "target", "created_at"]
    list_filter = ["source__perspective__scorecard__organisation"]
    search_fields = ["source__title", "target__title"]
    list_select_related = ["source", "target"]

    def has_change_permission(self, request, obj=None):
        return False  # a link is added or removed, never moved

    def save_model(self, request, obj, form, change):
        link_objectives(source=obj.source, target=obj.target)
        obj.pk = ObjectiveLink.objects.get(source=obj.source, target=obj.target).pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        unlink_objectives(source=obj.source, target=obj.target)

    def delete_queryset(self, request, queryset):
        for link in queryset.select_related("source", "target"):
            unlink_objectives(source=link.source, target=link.target)


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    """The stored score history: kept by the services from the values-changed hooks."""

    list_display = ["scorecard", "period_start", "part", "part_id", "score"]
    list_filter = ["part", "scorecard"]
    list_select_related = ["scorecard"]
    date_hierarchy = "period_start"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
