"""Django admin for indicators. Every write with rules goes through `indicators.services`:

- indicators (with their targets, band versions and benchmarks) are saved by `create_indicator` /
  `update_indicator`, whose validation errors show on the form (band versions' on their rows),
  and deleted by `delete_indicator`, so that the apps above refresh what they store;
- measurements arrive through ingest, and period values and deviations are computed (deviation
  states change on the deviations page and API), so their admin pages are read-only.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from .models import (
    Band,
    Benchmark,
    Deviation,
    Indicator,
    Measurement,
    Notification,
    PeriodValue,
    Target,
    Webhook,
    WebhookDelivery,
)
from .services import create_indicator, delete_indicator, update_indicator
from .services.bands import check_bands
from .services.definitions import PLAIN_FIELDS
from .services.webhooks import check_url
from .services.webhooks import new_secret as new_webhook_secret

BASELINE_FIELDS = {"baseline_value": "value", "baseline_date": "date"}


def indicator_data(form: forms.ModelForm, *, only_changed: bool) -> dict:
    """The service's `data` from the form's fields (the baseline as its dict)."""
    cleaned, changed = form.cleaned_data, set(form.changed_data)
    names = [n for n in PLAIN_FIELDS if n in cleaned and (not only_changed or n in changed)]
    data = {name: cleaned[name] for name in names}
    for key, fields in (("baseline", BASELINE_FIELDS),):
        if not only_changed or changed & fields.keys():
            data[key] = {inner: cleaned.get(name) for name, inner in fields.items()}
    return data


def _rows(formset) -> list[dict]:
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def band_items(rows: list[dict]) -> list[dict]:
    return [
        {
            "from": r["valid_from"],
            "low": r["low"],
            "high": r["high"],
            "action_below": r["action_below"],
            "action_above": r["action_above"],
            "owner": r["owner"],
        }
        for r in rows
    ]


def series_data(formsets) -> dict:
    """Targets, benchmarks and band versions from the inline formsets that changed, as the
    service takes them."""
    data = {}
    for formset in formsets:
        if formset.model not in (Target, Benchmark, Band) or not formset.has_changed():
            continue
        rows = _rows(formset)
        if formset.model is Target:
            data["targets"] = [{"from": r["valid_from"], "value": r["value"]} for r in rows]
        elif formset.model is Band:
            data["bands"] = band_items(rows)
        else:
            data["benchmarks"] = [
                {"from": r["valid_from"], "value": r["value"], "source": r["source"]} for r in rows
            ]
    return data


def save_indicator(*, form: forms.ModelForm, data: dict) -> Indicator:
    if form.instance.pk is None:
        return create_indicator(organisation=form.cleaned_data["organisation"], data=data)
    return update_indicator(indicator=Indicator.objects.get(pk=form.instance.pk), data=data)


class IndicatorAdminForm(forms.ModelForm):
    """Validated by the service: `clean` runs the save in a savepoint and rolls it back."""

    class Meta:
        model = Indicator
        fields = ["organisation", *PLAIN_FIELDS, *BASELINE_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            with transaction.atomic():
                save_indicator(form=self, data=indicator_data(self, only_changed=False))
                transaction.set_rollback(True)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned

    def _post_clean(self):
        # The admin's messages and history name the instance; the rules were checked in clean().
        construct_instance(self, self.instance, self._meta.fields)


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


class BenchmarkInline(admin.TabularInline):
    model = Benchmark
    extra = 0


class BandFormSet(forms.BaseInlineFormSet):
    """Band versions checked by the service's rules (actions per side, owners, one per date)
    before anything is saved; each error on its row."""

    def clean(self):
        super().clean()
        if any(self.errors) or not self.has_changed():
            return
        forms_ = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        data = {"bands": band_items([f.cleaned_data for f in forms_])}
        for problem in check_bands(indicator=self.instance, data=data).get("bands", []):
            form = forms_[problem.params["index"]]
            field = problem.params["field"]
            form.add_error(field if field in form.fields else None, problem.params["detail"])


class BandAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("low"), cleaned.get("high")
        if low is not None and high is not None and low > high:
            # Said here in words; the model's constraint would name itself.
            self.add_error("low", _("The low limit is above the high limit."))
        return cleaned


class BandInline(admin.StackedInline):
    model = Band
    form = BandAdminForm
    formset = BandFormSet
    fields = [("valid_from", "low", "high", "owner"), ("action_below", "action_above")]
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    form = IndicatorAdminForm
    list_display = ["code", "name", "organisation", "kind", "aggregation", "period", "layer"]
    list_filter = ["organisation", "kind", "layer", "evidence", "period"]
    search_fields = ["code", "name"]
    inlines = [TargetInline, BandInline, BenchmarkInline]

    def get_readonly_fields(self, request, obj=None):
        return ["organisation"] if obj else []  # the service moves no indicator between orgs

    def save_model(self, request, obj, form, change):
        """Saved in save_related, with its targets, bands and benchmarks, by one service call."""

    def save_related(self, request, form, formsets, change):
        data = {**indicator_data(form, only_changed=change), **series_data(formsets)}
        indicator = save_indicator(form=form, data=data)
        form.instance.pk, form.instance._state.adding = indicator.pk, False
        for formset in formsets:
            formset.save(commit=False)  # writes nothing; lists the changes for the history

    def delete_model(self, request, obj):
        delete_indicator(indicator=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # all of them or none
            for indicator in queryset:
                delete_indicator(indicator=indicator)


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False  # counting millions of rows on every list page

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdmin):
    list_display = [
        "indicator", "observed_at", "value", "numerator", "denominator", "segment", "key",
    ]  # fmt: skip
    list_filter = ["indicator__organisation", "indicator__kind", "indicator__period"]
    search_fields = ["indicator__code", "key"]
    list_select_related = ["indicator"]


@admin.register(PeriodValue)
class PeriodValueAdmin(ReadOnlyAdmin):
    list_display = [
        "indicator", "period", "segment", "period_start", "value", "target", "position",
        "assessment",
    ]  # fmt: skip
    list_filter = ["indicator__organisation", "period", "position", "assessment"]
    search_fields = ["indicator__code", "segment"]
    list_select_related = ["indicator"]


@admin.register(Deviation)
class DeviationAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "period_start", "kind", "value", "state"]
    list_filter = ["indicator__organisation", "state", "kind"]
    search_fields = ["indicator__code", "note"]
    list_select_related = ["indicator"]


# Notifications and webhooks (H4). The webhook's secret is shown read-only: the page that
# creates and edits webhooks for an organisation's admins is /settings/webhooks/.


class WebhookAdminForm(forms.ModelForm):
    class Meta:
        model = Webhook
        fields = ["organisation", "name", "url", "active"]

    def clean_url(self):
        try:
            return check_url(self.cleaned_data["url"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["url"]) from None


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookAdminForm
    list_display = ["name", "organisation", "url", "active", "created_at"]
    list_filter = ["organisation", "active"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret", "created_at"]

    def save_model(self, request, obj, form, change):
        if not obj.secret:
            obj.secret = new_webhook_secret()
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "webhook", "event", "state", "attempts", "last_status", "created_at", "delivered_at",
    ]  # fmt: skip
    list_filter = ["state", "event", "webhook__organisation"]
    search_fields = ["webhook__name", "last_error"]
    list_select_related = ["webhook"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["subject", "user", "organisation", "kind", "created_at", "sent_at"]
    list_filter = ["organisation", "kind"]
    search_fields = ["subject", "user__username"]
    list_select_related = ["user", "organisation"]
