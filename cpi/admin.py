"""Django admin for the CPI evidence. Every write goes through `cpi.services`:

- a CPI profile (with its indicator's accountable team) is saved by `save_profile`;
- an evidence note is added by `add_evidence_note` and deleted by `delete_evidence_note`
  (a note is dated evidence: it is added or removed, not rewritten);
- hypotheses are saved by `create_hypothesis` / `update_hypothesis` (which recompute the
  evidence) and deleted by `delete_hypothesis`;
- experiments are saved by `create_experiment` / `update_experiment` (which recompute the
  result, the plan and the hypothesis's status) and deleted by `delete_experiment`.

The forms are validated by the services themselves: `clean` runs the save in a savepoint and
rolls it back, so the admin shows the same messages as the pages and the API, on the field. The
evidence, status, result and plan are computed, so they are read-only.
"""

import json

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from core.service_forms import ServiceValidatedForm
from core.service_forms import dry_run as _dry_run

from . import services
from .models import CpiProfile, EvidenceNote, Experiment, Hypothesis

PROFILE_FIELDS = ["desired_outcome", "expectation", "value_unit", "customer_segment"]
NOTE_FIELDS = ["kind", "noted_on", "source", "text"]
HYPOTHESIS_FIELDS = ["cause", "effect", "expected_sign", "max_lag", "period", "statement"]
EXPERIMENT_FIELDS = [
    "name",
    "indicator",
    "arm_dimension",
    "control",
    "treatment",
    "start",
    "end",
    "expected_effect",
    "planned_n_per_arm",
]
HYPOTHESIS_COMPUTED = [
    "status",
    "status_source",
    "shown_evidence",
    "shown_evidence_differenced",
    "shown_granger",
    "shown_forecast",
    "shown_backtest",
    "computed_at",
    "wanted_at",
]
EXPERIMENT_COMPUTED = ["shown_result", "shown_plan", "computed_at"]


def _json(value):
    if value is None:
        return "—"
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


def _data(form: forms.ModelForm, names) -> dict:
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}


class ScopedIndicatorFilter(admin.SimpleListFilter):
    """The organisation whose objects to list (by the indicator's or the object's own)."""

    title = _("organisation")
    parameter_name = "organisation"
    lookup = "organisation"

    def lookups(self, request, model_admin):
        return [(str(o.pk), o.name) for o in Organisation.objects.order_by("name")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.lookup}__pk": self.value()})
        return queryset


class IndicatorOrganisationFilter(ScopedIndicatorFilter):
    lookup = "indicator__organisation"


# -- CPI profiles ---------------------------------------------------------------------------------


class ProfileAdminForm(ServiceValidatedForm):
    team = forms.CharField(label=_("Accountable team"), max_length=100, required=False)

    class Meta:
        model = CpiProfile
        fields = ["indicator", *PROFILE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "indicator" in self.fields:
            field = self.fields["indicator"]
            field.queryset = field.queryset.filter(kind="cpi").select_related("organisation")
        if self.instance.pk:
            self.fields["team"].initial = self.instance.indicator.team

    def indicator(self):
        return self.cleaned_data.get("indicator") or self.instance.indicator

    def profile_data(self) -> dict:
        return {**_data(self, PROFILE_FIELDS), "team": self.cleaned_data.get("team", "")}

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            if (
                self.instance.pk is None
                and CpiProfile.objects.filter(indicator=cleaned.get("indicator")).exists()
            ):
                self.add_error("indicator", _("This CPI has a profile already: change that one."))
                return cleaned
            _dry_run(
                self,
                lambda: services.save_profile(indicator=self.indicator(), data=self.profile_data()),
            )
        return cleaned


@admin.register(CpiProfile)
class CpiProfileAdmin(admin.ModelAdmin):
    form = ProfileAdminForm
    list_display = ["indicator", "organisation", "value_unit", "customer_segment", "team"]
    list_filter = [IndicatorOrganisationFilter, "value_unit", "customer_segment"]
    search_fields = ["indicator__code", "indicator__name", "desired_outcome", "expectation"]
    list_select_related = ["indicator__organisation"]
    fields = ["indicator", *PROFILE_FIELDS, "team", "updated_at"]
    readonly_fields = ["updated_at"]

    @admin.display(description=_("organisation"), ordering="indicator__organisation__name")
    def organisation(self, obj):
        return obj.indicator.organisation

    @admin.display(description=_("accountable team"), ordering="indicator__team")
    def team(self, obj):
        return obj.indicator.team

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *(["indicator"] if obj else [])]

    def save_model(self, request, obj, form, change):
        saved = services.save_profile(indicator=form.indicator(), data=form.profile_data())
        obj.pk, obj._state.adding = saved.pk, False


# -- evidence notes -------------------------------------------------------------------------------


class NoteAdminForm(ServiceValidatedForm):
    class Meta:
        model = EvidenceNote
        fields = ["indicator", *NOTE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "indicator" in self.fields:
            field = self.fields["indicator"]
            field.queryset = field.queryset.filter(kind="cpi").select_related("organisation")

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            _dry_run(
                self,
                lambda: services.add_evidence_note(
                    indicator=cleaned["indicator"], data=_data(self, NOTE_FIELDS)
                ),
            )
        return cleaned


@admin.register(EvidenceNote)
class EvidenceNoteAdmin(admin.ModelAdmin):
    form = NoteAdminForm
    list_display = ["noted_on", "kind", "source", "indicator", "organisation", "created_by"]
    list_filter = [IndicatorOrganisationFilter, "kind", "noted_on"]
    search_fields = ["source", "text", "indicator__code", "indicator__name"]
    list_select_related = ["indicator__organisation", "created_by"]
    date_hierarchy = "noted_on"
    readonly_fields = ["created_by", "created_at"]

    @admin.display(description=_("organisation"), ordering="indicator__organisation__name")
    def organisation(self, obj):
        return obj.indicator.organisation

    def has_change_permission(self, request, obj=None):
        # Dated evidence is added or removed, never rewritten (the change page only reads).
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        note = services.add_evidence_note(
            indicator=form.cleaned_data["indicator"],
            data=_data(form, NOTE_FIELDS),
            created_by=request.user,
        )
        obj.pk, obj._state.adding = note.pk, False

    def delete_model(self, request, obj):
        services.delete_evidence_note(note=obj)

    def delete_queryset(self, request, queryset):
        for note in queryset:
            services.delete_evidence_note(note=note)


# -- hypotheses -----------------------------------------------------------------------------------


class HypothesisAdminForm(ServiceValidatedForm):
    class Meta:
        model = Hypothesis
        fields = ["organisation", *HYPOTHESIS_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("cause", "effect"):
            if name in self.fields:
                field = self.fields[name]
                field.queryset = field.queryset.select_related("organisation").order_by(
                    "organisation__name", "kind", "name"
                )

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            _dry_run(self, lambda: save_hypothesis(self))
        return cleaned


def save_hypothesis(form: forms.ModelForm, created_by=None) -> Hypothesis:
    data = _data(form, HYPOTHESIS_FIELDS)
    if form.instance.pk is None:
        return services.create_hypothesis(
            organisation=form.cleaned_data["organisation"], data=data, created_by=created_by
        )
    hypothesis = Hypothesis.objects.get(pk=form.instance.pk)
    return services.update_hypothesis(hypothesis=hypothesis, data=data)


class ExperimentInline(admin.TabularInline):
    model = Experiment
    fields = ["name", "indicator", "control", "treatment", "start", "end", "verdict"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # through the experiment's own page, which saves through the service

    @admin.display(description=_("verdict"))
    def verdict(self, obj):
        return (obj.result or {}).get("verdict") or "—"


class ComputedJson:
    """Read-only, pretty-printed views of the computed JSON blocks."""

    @admin.display(description=_("evidence (levels)"))
    def shown_evidence(self, obj):
        return _json(obj.evidence)

    @admin.display(description=_("evidence (first differences)"))
    def shown_evidence_differenced(self, obj):
        return _json(obj.evidence_differenced)

    @admin.display(description=_("Granger test"))
    def shown_granger(self, obj):
        return _json(obj.granger)

    @admin.display(description=_("forecast"))
    def shown_forecast(self, obj):
        return _json(obj.forecast)

    @admin.display(description=_("backtest"))
    def shown_backtest(self, obj):
        return _json(obj.backtest)

    @admin.display(description=_("result"))
    def shown_result(self, obj):
        return _json(obj.result)

    @admin.display(description=_("plan"))
    def shown_plan(self, obj):
        return _json(obj.plan)


@admin.register(Hypothesis)
class HypothesisAdmin(ComputedJson, admin.ModelAdmin):
    form = HypothesisAdminForm
    list_display = ["arrow", "organisation", "period", "max_lag", "status", "status_source"]
    list_filter = [ScopedIndicatorFilter, "status", "status_source", "period", "expected_sign"]
    search_fields = ["statement", "cause__code", "cause__name", "effect__code", "effect__name"]
    list_select_related = ["organisation", "cause", "effect"]
    inlines = [ExperimentInline]
    readonly_fields = [*HYPOTHESIS_COMPUTED, "created_by", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["organisation", *HYPOTHESIS_FIELDS]}),
        (
            _("Evidence (computed when saved and when either series changes)"),
            {"fields": HYPOTHESIS_COMPUTED},
        ),
        (None, {"fields": ["created_by", "created_at", "updated_at"]}),
    ]

    @admin.display(description=_("hypothesis"), ordering="cause__name")
    def arrow(self, obj):
        return f"{obj.cause.name} → {obj.effect.name}"

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *(["organisation"] if obj else [])]

    def save_model(self, request, obj, form, change):
        saved = save_hypothesis(form, created_by=request.user)
        obj.pk, obj._state.adding = saved.pk, False

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            formset.save(commit=False)  # the inline only reads: lists no change for the history

    def delete_model(self, request, obj):
        services.delete_hypothesis(hypothesis=obj)

    def delete_queryset(self, request, queryset):
        for hypothesis in queryset:
            services.delete_hypothesis(hypothesis=hypothesis)


# -- experiments ----------------------------------------------------------------------------------


class ExperimentAdminForm(ServiceValidatedForm):
    class Meta:
        model = Experiment
        fields = ["organisation", "hypothesis", *EXPERIMENT_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "hypothesis" in self.fields:
            self.fields["hypothesis"].queryset = Hypothesis.objects.select_related(
                "organisation", "cause", "effect"
            )
            self.fields["hypothesis"].label_from_instance = lambda h: (
                f"{h.organisation} · {h.cause.name} → {h.effect.name}"
            )
        if "indicator" in self.fields:
            field = self.fields["indicator"]
            field.queryset = field.queryset.select_related("organisation")
            self.fields["indicator"].required = False
            self.fields["indicator"].help_text = _("Empty: the hypothesis's effect.")

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            _dry_run(self, lambda: save_experiment(self))
        return cleaned


def save_experiment(form: forms.ModelForm, created_by=None) -> Experiment:
    data = _data(form, ["hypothesis", *EXPERIMENT_FIELDS])
    if data.get("indicator") is None:
        data.pop("indicator", None)
    data["expected_effect"] = data.get("expected_effect") or ""
    if form.instance.pk is None:
        organisation = form.cleaned_data.get("organisation")
        return services.create_experiment(
            organisation=organisation, data=data, created_by=created_by
        )
    experiment = Experiment.objects.get(pk=form.instance.pk)
    return services.update_experiment(experiment=experiment, data=data)


@admin.register(Experiment)
class ExperimentAdmin(ComputedJson, admin.ModelAdmin):
    form = ExperimentAdminForm
    list_display = ["name", "organisation", "arrow", "start", "end", "verdict"]
    list_filter = [ScopedIndicatorFilter, "start", "end"]
    search_fields = ["name", "indicator__code", "control", "treatment", "arm_dimension"]
    list_select_related = ["organisation", "hypothesis__cause", "hypothesis__effect", "indicator"]
    readonly_fields = [*EXPERIMENT_COMPUTED, "created_by", "created_at"]
    fieldsets = [
        (None, {"fields": ["organisation", "hypothesis", *EXPERIMENT_FIELDS]}),
        (
            _("Result (computed when saved and hourly until it is final)"),
            {"fields": EXPERIMENT_COMPUTED},
        ),
        (None, {"fields": ["created_by", "created_at"]}),
    ]

    @admin.display(description=_("verdict"))
    def verdict(self, obj):
        return (obj.result or {}).get("verdict") or "—"

    @admin.display(description=_("hypothesis"))
    def arrow(self, obj):
        return f"{obj.hypothesis.cause.name} → {obj.hypothesis.effect.name}"

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *(["organisation", "hypothesis"] if obj else [])]

    def save_model(self, request, obj, form, change):
        saved = save_experiment(form, created_by=request.user)
        obj.pk, obj._state.adding = saved.pk, False

    def delete_model(self, request, obj):
        services.delete_experiment(experiment=obj)

    def delete_queryset(self, request, queryset):
        for experiment in queryset:
            services.delete_experiment(experiment=experiment)
