"""Forms for analysts. They only shape input: the services decide, exactly as for the API."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Aggregation, DeviationState, Direction, Evidence, Kind, Layer, Period
from .services.definitions import PLAIN_FIELDS
from .upload import parse_number, parse_segment


class NumberField(forms.CharField):
    """A float that accepts a decimal comma ("12,5") or point in every language."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return parse_number(value)
        except ValueError:
            raise ValidationError(_("Enter a number, e.g. 12.5 or 12,5."), code="invalid") from None

    def prepare_value(self, value):
        if isinstance(value, float):
            return f"{value:g}" if abs(value) < 1e15 else repr(value)
        return value


def _blank_choice(choices):
    return [("", "—"), *choices]


class IndicatorForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=63,
        help_text=_("Lowercase letters, digits and underscores; used by the API and formulas."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Definition"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = forms.CharField(
        label=_("Owner (role)"),
        max_length=200,
        required=False,
        help_text=_("Shown with the indicator, e.g. Head of Digital Sales."),
    )
    unit = forms.CharField(label=_("Unit"), max_length=40, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    aggregation = forms.ChoiceField(
        label=_("Aggregation"),
        choices=_blank_choice(Aggregation.choices),
        required=False,
        help_text=_("Leave empty for a formula indicator."),
    )
    period = forms.ChoiceField(label=_("Period"), choices=Period.choices)
    evidence = forms.ChoiceField(
        label=_("Say / do"), choices=_blank_choice(Evidence.choices), required=False
    )
    layer = forms.ChoiceField(
        label=_("Layer"), choices=_blank_choice(Layer.choices), required=False
    )
    leading = forms.BooleanField(label=_("Leading indicator"), required=False)
    formula = forms.CharField(
        label=_("Formula"),
        required=False,
        help_text=_("An expression over other indicator codes, e.g. 100 * won / sent."),
    )
    baseline_value = NumberField(label=_("Baseline"))
    baseline_date = forms.DateField(label=_("Baseline date"), required=False)
    owner_user = forms.ChoiceField(
        label=_("Owner (person)"),
        required=False,
        help_text=_("Told about deviations and stale data, unless a band version names its own."),
    )
    spc_baseline_from = forms.DateField(
        label=_("Limits from"),
        required=False,
        help_text=_("The first period of the baseline window; empty: the first value."),
    )
    spc_baseline_points = forms.IntegerField(
        label=_("Points in the baseline"),
        initial=20,
        help_text=_("How many values the natural process limits are computed from (2..1000)."),
    )
    spc_two_of_three = forms.BooleanField(
        label=_("Also signal 2 of 3 values beyond 2 sigma"), required=False
    )
    stale_grace_days = forms.IntegerField(
        label=_("Grace days before stale"),
        required=False,
        help_text=_(
            "Empty: by the period (a daily indicator after 2 days, a monthly one 10 days "
            "into the next month)."
        ),
    )

    def __init__(self, *args, editing: bool = False, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("baseline_date", "spc_baseline_from"):
            self.fields[name].widget.input_type = "date"
        self.members = {str(user.pk): user for user in members}
        self.fields["owner_user"].choices = member_choices(members)
        if editing:
            self.fields["code"].disabled = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("baseline_date") and cleaned.get("baseline_value") is None:
            self.add_error("baseline_value", _("A baseline date needs a baseline value."))
        return cleaned

    def service_data(self) -> dict:
        """The `data` dict of create_indicator / update_indicator (the API's shape)."""
        c = self.cleaned_data
        data = {
            name: c[name]
            for name in (
                "code",
                "name",
                "description",
                "owner",
                "unit",
                "kind",
                "direction",
                "period",
                "leading",
                "spc_baseline_from",
                "spc_baseline_points",
                "spc_two_of_three",
                "stale_grace_days",
            )
        }
        for name in ("aggregation", "evidence", "layer", "formula"):
            data[name] = c[name] or None
        data["baseline"] = (
            {"value": c["baseline_value"], "date": c["baseline_date"]}
            if c["baseline_value"] is not None
            else None
        )
        data["owner_user"] = self.members.get(c["owner_user"])
        return data

    @staticmethod
    def initial_for(indicator) -> dict:
        initial = {
            name: getattr(indicator, name)
            for name in (*PLAIN_FIELDS, "baseline_value", "baseline_date")
        }
        initial["owner_user"] = str(indicator.owner_user_id or "")
        return initial

    SERVICE_FIELD_NAMES = {"baseline": "baseline_value"}

    def add_service_errors(self, error: ValidationError, bands=None) -> None:
        """Show the service's errors beside the fields they name (band versions on their row)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, problems in error.error_dict.items():
            if name in ("band", "bands") and bands is not None:
                bands.add_service_errors(problems)
                continue
            target = self.SERVICE_FIELD_NAMES.get(name, name)
            for problem in problems:
                for message in problem:
                    self.add_error(target if target in self.fields else None, message)


def member_choices(members) -> list[tuple[str, str]]:
    return [("", "—"), *((str(u.pk), u.get_full_name() or u.get_username()) for u in members)]


class BandForm(forms.Form):
    """One band version: limits and actions in force from a date (empty: from the start)."""

    valid_from = forms.DateField(
        label=_("From"), required=False, help_text=_("Empty: from the first period.")
    )
    low = NumberField(label=_("Band low"))
    high = NumberField(label=_("Band high"))
    action_below = forms.CharField(
        label=_("Action below the band"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    action_above = forms.CharField(
        label=_("Action above the band"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = forms.ChoiceField(
        label=_("Owner"), required=False, help_text=_("Empty: the indicator's owner.")
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].widget.input_type = "date"
        self.members = {str(user.pk): user for user in members}
        self.fields["owner"].choices = member_choices(members)

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("low"), cleaned.get("high")
        if low is not None and high is not None and low > high:
            self.add_error("low", _("The low limit is above the high limit."))
        has_text = any(cleaned.get(n) for n in ("action_below", "action_above", "owner"))
        if has_text and low is None and high is None and cleaned.get("valid_from") is None:
            self.add_error("low", _("Enter a low or a high limit, or a date to end the band."))
        return cleaned

    def as_item(self) -> dict | None:
        """The service's version, or None for an empty or removed row. A date without limits
        ends the band from that date."""
        c = getattr(self, "cleaned_data", {})
        if c.get("DELETE") or (
            c.get("valid_from") is None and c.get("low") is None and c.get("high") is None
        ):
            return None
        return {
            "from": c.get("valid_from"),
            "low": c.get("low"),
            "high": c.get("high"),
            "action_below": c.get("action_below") or "",
            "action_above": c.get("action_above") or "",
            "owner": self.members.get(c.get("owner") or ""),
        }


class BaseBandFormSet(forms.BaseFormSet):
    def items(self) -> list[dict]:
        """The versions of the filled rows; remembers which row each came from."""
        self.item_forms, items = [], []
        for form in self.forms:
            item = form.as_item()
            if item is not None:
                self.item_forms.append(form)
                items.append(item)
        return items

    def add_service_errors(self, problems) -> None:
        """Each of the service's errors on the row and field it names (params index, field)."""
        for problem in problems:
            params = problem.params or {}
            index, field = params.get("index"), params.get("field")
            forms_ = getattr(self, "item_forms", [])
            if index is not None and index < len(forms_):
                form = forms_[index]
                form.add_error(field if field in form.fields else None, params["detail"])
            else:
                self._non_form_errors = self.non_form_errors() + problem.messages

    @staticmethod
    def initial_for(indicator) -> list[dict]:
        return [
            {
                "valid_from": None if band.from_the_start else band.valid_from,
                "low": band.low,
                "high": band.high,
                "action_below": band.action_below,
                "action_above": band.action_above,
                "owner": str(band.owner_id or ""),
            }
            for band in indicator.bands.all()
        ]


BandFormSet = forms.formset_factory(BandForm, formset=BaseBandFormSet, extra=1, can_delete=True)


class DatedValueForm(forms.Form):
    """One row of targets or benchmarks: a value in force from a date."""

    valid_from = forms.DateField(label=_("From"), required=False)
    value = NumberField(label=_("Value"))
    source = forms.CharField(label=_("Source"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].widget.input_type = "date"

    def clean(self):
        cleaned = super().clean()
        has_date = cleaned.get("valid_from") is not None
        has_value = cleaned.get("value") is not None
        if has_date and not has_value:
            self.add_error("value", _("Enter the value in force from this date."))
        if has_value and not has_date:
            self.add_error("valid_from", _("Enter the date from which the value is in force."))
        return cleaned

    def as_item(self, with_source: bool) -> dict | None:
        c = getattr(self, "cleaned_data", {})
        if c.get("valid_from") is None or c.get("value") is None or c.get("DELETE"):
            return None
        item = {"from": c["valid_from"], "value": c["value"]}
        if with_source:
            item["source"] = c.get("source") or ""
        return item


class BaseDatedValueFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        dates = [f.cleaned_data.get("valid_from") for f in self.forms if f.cleaned_data]
        dates = [d for d in dates if d is not None]
        if len(dates) != len(set(dates)):
            raise ValidationError(_("Two rows have the same date."))

    def items(self, with_source: bool) -> list[dict]:
        return [i for f in self.forms if (i := f.as_item(with_source)) is not None]


DatedValueFormSet = forms.formset_factory(
    DatedValueForm, formset=BaseDatedValueFormSet, extra=2, can_delete=True
)


class MeasurementForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"))
    observed_at = forms.CharField(
        label=_("Observed at"),
        help_text=_("A date (2026-03-02) or a timestamp with offset (2026-03-02T14:00+02:00)."),
    )
    value = NumberField(label=_("Value"))
    numerator = NumberField(label=_("Numerator"), help_text=_("Ratio indicators only."))
    denominator = NumberField(label=_("Denominator"), help_text=_("Ratio indicators only."))
    segment = forms.CharField(
        label=_("Segment"), required=False, help_text=_("dimension:member, e.g. channel:web")
    )
    key = forms.CharField(label=_("Key"), required=False, max_length=200)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [
            (i.code, f"{i.name} ({i.code})") for i in indicators if not i.formula
        ]

    def clean_segment(self):
        try:
            return parse_segment(self.cleaned_data["segment"])
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def item(self) -> dict:
        """The API item for ingest_measurements."""
        c = self.cleaned_data
        item = {"indicator": c["indicator"], "observed_at": c["observed_at"].strip()}
        for name in ("value", "numerator", "denominator", "segment"):
            if c.get(name) is not None:
                item[name] = c[name]
        for name in ("key", "comment"):
            if c.get(name):
                item[name] = c[name]
        return item

    def add_ingest_errors(self, errors: list[dict]) -> None:
        for problem in errors:
            name = problem["field"]
            self.add_error(name if name in self.fields else None, problem["message"])


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,  # upload.read_upload says "The file is empty." itself
        help_text=_("CSV (comma or semicolon separated) or Excel .xlsx, first row = column names."),
    )


class DeviationForm(forms.Form):
    """A person's change of a deviation: the states people set, and the deviation's own state
    (resolved by data) when it is in one they do not, so a note can be saved without moving
    it. Which changes are allowed is the `update_deviation` service's to decide."""

    PEOPLES_STATES = (DeviationState.OPEN, DeviationState.ACKNOWLEDGED, DeviationState.CLOSED)

    state = forms.ChoiceField(label=_("State"))
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("What was done or learned (needed to close)")}
        ),
    )

    def __init__(self, *args, current_state: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        states = list(self.PEOPLES_STATES)
        if current_state in DeviationState.values and current_state not in states:
            states.append(DeviationState(current_state))
        self.fields["state"].choices = [(state.value, state.label) for state in states]
