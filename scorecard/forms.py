"""Forms for analysts. They only shape input: the services decide, exactly as for the API.

Choices come from the analyst's own organisation (members, initiatives, indicators, the
scorecard's own objectives), so a form never offers another organisation's object; weights,
thresholds, kinds and cycles are the services' to check, and their ValidationError lands on
the field it names (`core.service_forms.add_service_errors`).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.numbers import GroupedNumber, small_number
from core.service_forms import add_service_errors
from indicators.models import Evidence, Kind, Layer, Period
from outcomes.forms import WeightField

from .models import PRESET_LABELS, PerspectiveKind, Preset, Scope

__all__ = [
    "LinkForm",
    "MeasureAddForm",
    "MeasureWeightForm",
    "ObjectiveForm",
    "PerspectiveForm",
    "ScorecardForm",
    "add_service_errors",
    "indicator_label",
]

POSITION_MAX = 32767  # a PositiveSmallIntegerField

VOICE_HELP = _(
    "What the customer would say when you get this right, in their own words, e.g. “XYZ gives "
    "me a price while I am still on the page”. Find out what your customers look for and write "
    "what sets you apart: not “keep customers longer” — every organisation wants that."
)
CUSTOMER_INITIATIVES_HELP = _(
    "The customer perspective normally carries no initiatives: the work that moves it belongs "
    "to internal-process and learning objectives."
)


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


class DecimalTextField(forms.CharField):
    """A number with a decimal comma or point (e.g. 0,9); out-of-range values go through to the
    service, which refuses them with its own message."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "size": 6})

    def to_python(self, value):
        try:
            return small_number(super().to_python(value) or "")
        except GroupedNumber:
            raise ValidationError(
                _("Write the number without a thousands separator, e.g. 0,9."), code="grouped"
            ) from None
        except ValueError:
            raise ValidationError(_("Enter a number, e.g. 0,9."), code="invalid") from None

    def prepare_value(self, value):
        if isinstance(value, float):
            return f"{value:g}"
        return value


class PhrasesField(forms.CharField):
    """Generic phrases, one per line; blank lines are dropped."""

    widget = forms.Textarea(attrs={"rows": 8})

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value


class ScorecardForm(forms.Form):
    """A scorecard's settings. `create=True`: name, description, scope, period and preset (the
    preset's four perspectives are created with it); else every setting."""

    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=Scope.choices, initial=Scope.COMPANY)
    period = forms.ChoiceField(
        label=_("Period"),
        choices=Period.choices,
        initial=Period.MONTH,
        help_text=_("Scores are worked out and kept for each period of this length."),
    )
    preset = forms.ChoiceField(
        label=_("Preset"),
        choices=Preset.choices,
        initial=Preset.BUSINESS,
        help_text=_(
            "Business: financial, customer, internal process, learning and growth. Public "
            "sector: citizens first, and financial becomes stewardship."
        ),
    )
    on_track_from = DecimalTextField(
        label=_("On track from"), help_text=_("A score from 0 to 1, e.g. 0,9.")
    )
    at_risk_from = DecimalTextField(
        label=_("At risk from"),
        help_text=_("A score from 0 to 1, e.g. 0,6; below it an objective is off track."),
    )
    max_measures_per_objective = forms.IntegerField(
        label=_("Most measures per objective"),
        help_text=_("Keep the set of metrics small: an objective with more gets a warning."),
    )
    generic_phrases = PhrasesField(
        label=_("Generic phrases"),
        required=False,
        help_text=_(
            "One per line, in any language. An objective whose title or voice statement "
            "contains one is flagged as generic: it does not set you apart."
        ),
    )

    SETTINGS = ("on_track_from", "at_risk_from", "max_measures_per_objective", "generic_phrases")

    def __init__(self, *args, create: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.create = create
        if create:
            for name in self.SETTINGS:
                del self.fields[name]
        else:
            self.fields["preset"].help_text = _(
                "Names the perspectives that have no label of their own."
            )
            self.fields["period"].help_text = _(
                "Changing it works the score history out again for the new periods."
            )

    def service_data(self) -> dict:
        """The `data` of create_scorecard / update_scorecard (no perspectives: the preset's)."""
        return {name: self.cleaned_data[name] for name in self.fields}

    @staticmethod
    def initial_for(scorecard) -> dict:
        names = ("name", "description", "scope", "period", "preset", *ScorecardForm.SETTINGS)
        return {name: getattr(scorecard, name) for name in names}


class PerspectiveForm(forms.Form):
    """A perspective's label, order and weight, and its kind when it is new (the kinds the
    scorecard has no perspective of are offered; the service refuses a second one)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=_blank(PerspectiveKind.choices))
    label = forms.CharField(label=_("Label"), required=False)
    position = forms.IntegerField(
        label=_("Order"),
        required=False,
        min_value=0,
        max_value=POSITION_MAX,
        help_text=_("Smaller first (the top row of the scorecard); empty: after the others."),
    )
    weight = WeightField(
        label=_("Weight"), help_text=_("Its weight in the scorecard's score (empty: 1).")
    )

    def __init__(self, *args, scorecard, perspective=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.perspective = perspective
        if perspective is not None:
            del self.fields["kind"]
            default = PRESET_LABELS.get(scorecard.preset, PRESET_LABELS[Preset.BUSINESS]).get(
                perspective.kind, perspective.kind
            )
            self.fields["position"].help_text = _("Smaller first (the top row of the scorecard).")
        else:
            taken = {p.kind for p in scorecard.perspectives.all()}
            self.fields["kind"].widget.choices = _blank(
                (value, label) for value, label in PerspectiveKind.choices if value not in taken
            )
            default = None
        self.fields["label"].help_text = (
            _("Empty: the preset's label, “%(label)s”.") % {"label": default}
            if default
            else _("Empty: the preset's label of its kind.")
        )
        if default:
            self.fields["label"].widget.attrs["placeholder"] = str(default)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        if data.get("position") is None:
            data.pop("position", None)
        return data

    @staticmethod
    def initial_for(perspective) -> dict:
        names = ("label", "position", "weight")
        return {name: getattr(perspective, name) for name in names}


class ObjectiveForm(forms.Form):
    """An objective's fields and the initiatives it carries. The voice statement is shown for
    customer objectives (a missing one is a warning, never a refusal)."""

    perspective = forms.ChoiceField(label=_("Perspective"))
    title = forms.CharField(label=_("Title"), max_length=200)
    voice = forms.CharField(
        label=_("In the customer's voice"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=VOICE_HELP,
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    weight = WeightField(
        label=_("Weight"), help_text=_("Its weight in the perspective's score (empty: 1).")
    )
    position = forms.IntegerField(
        label=_("Order"),
        required=False,
        min_value=0,
        max_value=POSITION_MAX,
        help_text=_("Smaller first; empty: after the others."),
    )
    initiatives = forms.MultipleChoiceField(
        label=_("Initiatives"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The work that moves this objective."),
    )

    def __init__(self, *args, perspective, perspectives=(), members=(), initiatives=(), **kwargs):
        """`perspectives`: where it may move to (an objective being edited); none: it stays
        in `perspective` and the form has no perspective field."""
        super().__init__(*args, **kwargs)
        self.members = {str(user.pk): user for user in members}
        self.fields["owner"].choices = _blank(
            (str(u.pk), u.get_full_name() or u.get_username()) for u in members
        )
        self.initiatives = {str(i.pk): i for i in initiatives}
        self.fields["initiatives"].choices = [(pk, i.title) for pk, i in self.initiatives.items()]
        self.perspectives = {str(p.pk): p for p in perspectives}
        if self.perspectives:
            self.fields["perspective"].choices = [
                (pk, p.display_label) for pk, p in self.perspectives.items()
            ]
            self.fields["perspective"].initial = str(perspective.pk)
        else:
            del self.fields["perspective"]
        self.is_customer = perspective.kind == PerspectiveKind.CUSTOMER
        if self.is_customer:
            self.fields["voice"].widget.attrs["aria-required"] = "true"
            self.fields["initiatives"].help_text = CUSTOMER_INITIATIVES_HELP

    def clean_perspective(self):
        return self.perspectives[self.cleaned_data["perspective"]]

    def clean_owner(self):
        return self.members.get(self.cleaned_data["owner"])

    def clean_initiatives(self):
        return [self.initiatives[pk] for pk in self.cleaned_data["initiatives"]]

    def service_data(self) -> dict:
        """The `data` of create_objective / update_objective."""
        data = dict(self.cleaned_data)
        if data.get("position") is None:
            data.pop("position", None)
        return data

    def show_voice(self) -> bool:
        """Customer objectives, and any objective that already has a voice statement."""
        return self.is_customer or bool(self["voice"].value())

    @staticmethod
    def initial_for(objective) -> dict:
        return {
            "perspective": str(objective.perspective_id),
            "title": objective.title,
            "voice": objective.voice,
            "description": objective.description,
            "owner": str(objective.owner_id or ""),
            "weight": objective.weight,
            "position": objective.position,
            "initiatives": [str(i.pk) for i in objective.initiatives.all()],
        }


def indicator_label(indicator) -> str:
    """“Name (code) · what customers say · CPI · execution”: what the measure choice shows."""
    parts = [f"{indicator.name} ({indicator.code})"]
    if indicator.evidence:
        parts.append(str(Evidence(indicator.evidence).label))
    parts.append(str(Kind(indicator.kind).label) if indicator.kind in Kind.values else "")
    if indicator.layer:
        parts.append(str(Layer(indicator.layer).label))
    return " · ".join(p for p in parts if p)


class MeasureAddForm(forms.Form):
    """One indicator to add to the objective's measures, with its weight (empty: 1)."""

    indicator = forms.ChoiceField(label=_("Indicator"))
    weight = WeightField(label=_("Weight"))

    def __init__(self, *args, indicators=(), taken=(), **kwargs):
        super().__init__(*args, **kwargs)
        taken = set(taken)
        self.indicators = {i.code: i for i in indicators}
        # Every indicator of the organisation is valid (the service says "twice"); the list
        # offers the ones not measuring the objective yet.
        self.fields["indicator"].choices = _blank((i.code, indicator_label(i)) for i in indicators)
        self.fields["indicator"].widget.choices = _blank(
            (i.code, indicator_label(i)) for i in indicators if i.pk not in taken
        )

    def clean_indicator(self):
        return self.indicators[self.cleaned_data["indicator"]]


class MeasureWeightForm(forms.Form):
    """A new weight for one measure (empty: 1)."""

    weight = WeightField(label=_("Weight"))


class LinkForm(forms.Form):
    """Add or remove one cause-effect link of an objective: `target` (it contributes to that
    one) or `source` (that one contributes to it). Any direction is allowed; the service
    refuses a cycle and says which."""

    action = forms.ChoiceField(choices=[("add", "add"), ("remove", "remove")])
    target = forms.ChoiceField(label=_("Contributes to"), required=False)
    source = forms.ChoiceField(label=_("Contributor"), required=False)

    def __init__(self, *args, objective, objectives=(), targets=(), sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.objective = objective
        others = [o for o in objectives if o.pk != objective.pk]
        self.objectives = {str(o.pk): o for o in others}
        targets, sources = set(targets), set(sources)
        self.upper = [o for o in others if o.pk not in targets]
        self.lower = [o for o in others if o.pk not in sources]
        choices = _blank((str(o.pk), o.title) for o in others)
        self.fields["target"].choices = choices
        self.fields["source"].choices = choices
        self.fields["target"].widget.choices = _blank((str(o.pk), _option(o)) for o in self.upper)
        self.fields["source"].widget.choices = _blank((str(o.pk), _option(o)) for o in self.lower)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not (cleaned.get("target") or cleaned.get("source")):
            self.add_error("target", _("Choose an objective."))
        return cleaned

    def field_used(self) -> str:
        return "target" if self.cleaned_data.get("target") else "source"

    def arrow(self):
        """(source, target) of the link to add or remove."""
        c = self.cleaned_data
        if c.get("target"):
            return self.objective, self.objectives[c["target"]]
        return self.objectives[c["source"]], self.objective


def _option(objective) -> str:
    return f"{objective.perspective.display_label}: {objective.title}"
