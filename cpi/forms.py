"""Forms for analysts. They only shape input: the services decide, exactly as for the API.

Indicator choices come from the analyst's own organisation, so a form never offers another
organisation's indicator; what the services refuse (cause = effect, a lag above 24, arms that are
not members, end before start) comes back as their ValidationError, on the field it names
(`add_service_errors`).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .compute.status import expected_effect
from .models import (
    MAX_LAG,
    PERIOD_CHOICES,
    CustomerSegment,
    NoteKind,
    Sign,
    ValueUnit,
)

KIND_LABELS = {
    "cpi": _("CPIs (what we do for customers)"),
    "kpi": _("KPIs (what customers do for us)"),
}


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


def add_service_errors(form: forms.Form, error: ValidationError, aliases=None) -> None:
    """The service's errors beside the fields they name; others at the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    aliases = aliases or {}
    for name, problems in error.error_dict.items():
        target = aliases.get(name, name)
        for problem in problems:
            for message in problem:
                form.add_error(target if target in form.fields else None, message)


def indicator_groups(indicators, first: str) -> list:
    """Select choices grouped by kind, the `first` kind's group first: [(label, [(code, name)])]."""
    order = [first, "kpi" if first == "cpi" else "cpi"]
    groups = []
    for kind in order:
        options = [(i.code, f"{i.name} ({i.code})") for i in indicators if i.kind == kind]
        if options:
            groups.append((KIND_LABELS[kind], options))
    return groups


def _date_input(field: forms.DateField) -> None:
    field.widget = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


# -- CPI profile and evidence notes ---------------------------------------------------------------


class ProfileForm(forms.Form):
    desired_outcome = forms.CharField(
        label=_("Desired outcome, in the customer's words"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Write it the way a customer would say it, not what the company wants: "
            "“I get a price while I am still on the page”, not “shorter handling time”."
        ),
    )
    expectation = forms.CharField(
        label=_("Expectation"),
        max_length=200,
        required=False,
        help_text=_(
            "What the customer expects, in plain words: “a price while I am still on the "
            "page”, “within one working day”."
        ),
    )
    value_unit = forms.ChoiceField(
        label=_("Unit customers value"),
        required=False,
        choices=_blank(ValueUnit.choices),
        help_text=_(
            "A CPI counts something customers care about: time, convenience, number of "
            "options, money saved, recognition. Revenue or a survey score is a KPI."
        ),
    )
    customer_segment = forms.ChoiceField(
        label=_("Customer segment"), required=False, choices=_blank(CustomerSegment.choices)
    )
    team = forms.CharField(
        label=_("Accountable team"),
        max_length=100,
        required=False,
        help_text=_("The team that can move this CPI and answers for it."),
    )

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = sorted({t for t in teams if t})
        self.fields["team"].widget.attrs["list"] = "team-names"

    @staticmethod
    def initial_for(indicator) -> dict:
        profile = getattr(indicator, "profile", None)
        initial = {"team": indicator.team}
        if profile is not None:
            for name in ("desired_outcome", "expectation", "value_unit", "customer_segment"):
                initial[name] = getattr(profile, name)
        return initial

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class NoteForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=_blank(NoteKind.choices))
    noted_on = forms.DateField(
        label=_("Date"), help_text=_("When the interview, inquiry or survey took place.")
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        help_text=_("Who or what: “interview with 6 home-insurance buyers”, “survey Q3/2026”."),
    )
    text = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the customers said or did, in their own words where you can."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _date_input(self.fields["noted_on"])

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


# -- hypotheses -----------------------------------------------------------------------------------


class HypothesisForm(forms.Form):
    cause = forms.ChoiceField(
        label=_("Cause (the leading indicator)"),
        help_text=_("Usually a CPI: what the company does for its customers."),
    )
    effect = forms.ChoiceField(
        label=_("Effect (the lagging indicator)"),
        help_text=_("Usually a KPI: what customers then do for the company."),
    )
    expected_sign = forms.ChoiceField(
        label=_("Expected sign"),
        widget=forms.RadioSelect,
        choices=[
            (Sign.POSITIVE, _("positive: when the cause rises, the effect rises")),
            (Sign.NEGATIVE, _("negative: when the cause rises, the effect falls")),
        ],
        help_text=_(
            "The sign is about the numbers as measured. For a cause where lower is better (a "
            "waiting time), improving it means lowering it: if faster quotes bring more "
            "customers, the sign is negative."
        ),
    )
    max_lag = forms.IntegerField(
        label=_("Maximum lag"),
        initial=3,
        help_text=_(
            "In periods, 0 to 24: how long the effect may take to follow. Every lag from 0 "
            "to this one is tried (and the p-value corrected for it)."
        ),
    )
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, initial="month")
    statement = forms.CharField(
        label=_("Statement"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The claim in one sentence: “Faster quotes win more new customers a month later.”"
        ),
    )

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = {i.code: i for i in indicators}
        self.fields["cause"].choices = _blank(indicator_groups(indicators, "cpi"))
        self.fields["effect"].choices = _blank(indicator_groups(indicators, "kpi"))
        self.fields["max_lag"].widget.attrs.update({"min": 0, "max": MAX_LAG, "size": 4})

    def clean_cause(self):
        return self.indicators[self.cleaned_data["cause"]]

    def clean_effect(self):
        return self.indicators[self.cleaned_data["effect"]]

    def chosen(self, name: str):
        """The indicator chosen in `name` (bound or initial), or None."""
        return self.indicators.get(self[name].value() or "")

    def sign_words(self) -> dict | None:
        """Each sign in words of the chosen indicators, from the cause's direction:
        {"positive": ..., "negative": ...}; None until a cause is chosen."""
        cause, effect = self.chosen("cause"), self.chosen("effect")
        if cause is None:
            return None
        names = {"cause": cause.name, "effect": effect.name if effect else _("the effect")}
        if cause.direction == "lower_is_better":
            return {
                "positive": _("when %(cause)s improves (falls), %(effect)s falls") % names,
                "negative": _("when %(cause)s improves (falls), %(effect)s rises") % names,
            }
        if cause.direction == "higher_is_better":
            return {
                "positive": _("when %(cause)s improves (rises), %(effect)s rises") % names,
                "negative": _("when %(cause)s improves (rises), %(effect)s falls") % names,
            }
        return {
            "positive": _("when %(cause)s rises, %(effect)s rises") % names,
            "negative": _("when %(cause)s rises, %(effect)s falls") % names,
        }

    def service_data(self) -> dict:
        return dict(self.cleaned_data)

    @staticmethod
    def initial_for(hypothesis) -> dict:
        return {
            "cause": hypothesis.cause.code,
            "effect": hypothesis.effect.code,
            "expected_sign": hypothesis.expected_sign,
            "max_lag": hypothesis.max_lag,
            "period": hypothesis.period,
            "statement": hypothesis.statement,
        }


# -- experiments ----------------------------------------------------------------------------------


def split_segments(segments) -> dict[str, list[str]]:
    """{dimension: [members]} of "dim:member" strings."""
    found: dict[str, list[str]] = {}
    for segment in segments:
        dimension, _sep, member = segment.partition(":")
        found.setdefault(dimension, []).append(member)
    return {d: sorted(set(m)) for d, m in sorted(found.items())}


class ExperimentForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("e.g. “Instant quote for half of the visitors, spring 2026”."),
    )
    indicator = forms.ChoiceField(
        label=_("Measured indicator"),
        help_text=_("Where the effect is measured; by default the hypothesis's effect."),
    )
    arm_dimension = forms.CharField(
        label=_("Arm dimension"),
        max_length=63,
        help_text=_("The segment dimension whose members are the arms, e.g. “arm”."),
    )
    control = forms.CharField(label=_("Control arm"), max_length=100)
    treatment = forms.CharField(label=_("Treatment arm"), max_length=100)
    start = forms.DateField(label=_("Start"), help_text=_("First day, in the organisation's zone."))
    end = forms.DateField(label=_("End"), help_text=_("Last day, included."))
    expected_effect = forms.ChoiceField(
        label=_("Expected effect"),
        required=False,
        help_text=_(
            "Empty means derived: the treatment improves the cause, and the measured "
            "indicator follows by the hypothesis's sign."
        ),
    )
    planned_n_per_arm = forms.IntegerField(
        label=_("Planned n per arm"),
        required=False,
        min_value=2,
        max_value=1_000_000_000,  # the column is a 32-bit integer
        help_text=_("How many measurements you expect in each arm (optional)."),
    )

    def __init__(self, *args, hypothesis, indicators=(), segments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.hypothesis = hypothesis
        self.indicators = {i.code: i for i in indicators}
        self.fields["indicator"].choices = indicator_groups(indicators, "kpi")
        for name in ("start", "end"):
            _date_input(self.fields[name])
        self.fields["arm_dimension"].widget.attrs["list"] = "arm-dimensions"
        for name in ("control", "treatment"):
            self.fields[name].widget.attrs["list"] = "arm-members"
        self.fields["planned_n_per_arm"].widget.attrs.update({"min": 2, "inputmode": "numeric"})
        self.derived = expected_effect(
            expected_sign=hypothesis.expected_sign, cause_direction=hypothesis.cause.direction
        )
        derived_label = (
            _("derived from the hypothesis: positive (the treatment should raise it)")
            if self.derived == Sign.POSITIVE
            else _("derived from the hypothesis: negative (the treatment should lower it)")
        )
        self.fields["expected_effect"].help_text = _(
            "Empty means derived: the treatment improves %(cause)s (%(direction)s), and the "
            "measured indicator follows by the hypothesis's sign."
        ) % {"cause": hypothesis.cause.name, "direction": hypothesis.cause.get_direction_display()}
        self.fields["expected_effect"].choices = [
            ("", derived_label),
            (Sign.POSITIVE, _("positive: the treatment arm should be higher")),
            (Sign.NEGATIVE, _("negative: the treatment arm should be lower")),
        ]
        self.segments = segments  # {dimension: [members]} of the chosen indicator

    def clean_indicator(self):
        return self.indicators[self.cleaned_data["indicator"]]

    def chosen_indicator(self):
        return self.indicators.get(self["indicator"].value() or "")

    def chosen_dimension(self) -> str:
        return (self["arm_dimension"].value() or "").strip()

    def dimensions(self) -> list[str]:
        return list((self.segments or {}).keys())

    def members(self) -> list[str]:
        return (self.segments or {}).get(self.chosen_dimension(), [])

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["expected_effect"] = data.get("expected_effect") or ""
        for name in ("arm_dimension", "control", "treatment"):
            data[name] = data[name].strip()
        return data

    @staticmethod
    def initial_for(experiment) -> dict:
        return {
            "name": experiment.name,
            "indicator": experiment.indicator.code,
            "arm_dimension": experiment.arm_dimension,
            "control": experiment.control,
            "treatment": experiment.treatment,
            "start": experiment.start,
            "end": experiment.end,
            "expected_effect": experiment.expected_effect,
            "planned_n_per_arm": experiment.planned_n_per_arm,
        }


class PlanQueryForm(forms.Form):
    """The query of the planning partial: ?indicator=&n_per_arm=&before= (the experiment form's
    own names planned_n_per_arm and start are accepted too, so it can send itself)."""

    indicator = forms.CharField()
    n_per_arm = forms.IntegerField(min_value=2, max_value=10_000_000)
    before = forms.DateField(required=False)  # empty: today, in the organisation's zone

    ALIASES = {"n_per_arm": "planned_n_per_arm", "before": "start"}

    def __init__(self, query, **kwargs):
        data = {}
        for name in ("indicator", "n_per_arm", "before"):
            value = query.get(name) or query.get(self.ALIASES.get(name, ""), "")
            data[name] = value
        super().__init__(data, **kwargs)
