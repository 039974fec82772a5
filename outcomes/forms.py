"""Forms for analysts. They only shape input: the services decide, exactly as for the API.

Choices come from the analyst's own organisation (initiatives, indicators, nodes), so a form
never offers another organisation's object; the level rule and the weights taken together
(not all 0) are the services' to check, and their ValidationError lands on the field it names (`core.service_forms.add_service_errors`).
"""

import math
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.numbers import MAX_WEIGHT, GroupedNumber, small_number

from .compute import LEVEL_ORDER
from .models import LEVEL_RANK, InitiativeState, Level


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


def _number_text(raw: str) -> str:
    """'1 234,5' or '1,234.5' as '1234.5': a decimal comma is accepted in every language."""
    text = raw.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if "," in text and "." in text:
        text = text.replace(",", "")
    return text.replace(",", ".").replace("\u2212", "-")


class WeightField(forms.CharField):
    """A weight of 0 to MAX_WEIGHT with a decimal comma or point (0,5 or 0.5); blank is 1.
    A thousands separator is refused (`core.numbers.small_number`): a weight is a small number,
    and "1.000,5" could be read either way."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "size": 5})

    def to_python(self, value):
        try:
            number = small_number(super().to_python(value) or "")
        except GroupedNumber:
            raise ValidationError(_weight_message("grouped"), code="grouped") from None
        except ValueError:
            raise ValidationError(_weight_message("invalid"), code="invalid") from None
        return 1.0 if number is None else number + 0.0  # -0 is 0

    def validate(self, value):
        if not math.isfinite(value):
            raise ValidationError(_weight_message("invalid"), code="invalid")
        if value < 0:
            raise ValidationError(_weight_message("min_value"), code="min_value")
        if value > MAX_WEIGHT:
            raise ValidationError(_weight_message("max_value"), code="max_value")

    def prepare_value(self, value):
        if isinstance(value, float) and math.isfinite(value):
            return formats.number_format(Decimal(repr(value)).normalize())
        return value


def _weight_message(code: str) -> str:
    example = {"example": formats.number_format(Decimal("0.5"))}
    if code == "grouped":
        return (
            gettext("Write the weight without a thousands separator, e.g. 1 or %(example)s.")
            % example
        )
    if code == "min_value":
        return gettext("The weight must be 0 or more.")
    if code == "max_value":
        return gettext("The weight must be at most %(most)s.") % {
            "most": formats.number_format(MAX_WEIGHT, force_grouping=True)
        }
    return gettext("Enter the weight as a number, e.g. 1 or %(example)s.") % example


class BudgetField(forms.CharField):
    """A Decimal with a decimal comma or point; blank is no budget."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def to_python(self, value):
        text = _number_text(super().to_python(value) or "")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValidationError(_("Enter an amount, e.g. 25000 or 25 000,50."), code="invalid")
        if number.as_tuple().exponent < -2 or abs(number) >= Decimal(10) ** 12:
            raise ValidationError(
                _("Enter an amount below 1,000,000,000,000 with at most 2 decimals."),
                code="invalid",
            )
        return number


class InitiativeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    state = forms.ChoiceField(
        label=_("State"), choices=InitiativeState.choices, initial=InitiativeState.PLANNED
    )
    start = forms.DateField(label=_("Start"), required=False)
    end = forms.DateField(label=_("End"), required=False)
    budget = BudgetField(
        label=_("Budget"), help_text=_("Optional, in the organisation's currency.")
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {str(user.pk): user for user in members}
        self.fields["owner"].choices = _blank(
            (str(u.pk), u.get_full_name() or u.get_username()) for u in members
        )
        for name in ("start", "end"):
            self.fields[name].widget.input_type = "date"

    def clean_owner(self):
        return self.members.get(self.cleaned_data["owner"])

    def service_data(self) -> dict:
        """The `data` of create_initiative / update_initiative."""
        c = self.cleaned_data
        names = ("title", "description", "owner", "state", "start", "end", "budget")
        return {name: c[name] for name in names}

    @staticmethod
    def initial_for(initiative) -> dict:
        return {
            "title": initiative.title,
            "description": initiative.description,
            "owner": str(initiative.owner_id or ""),
            "state": initiative.state,
            "start": initiative.start,
            "end": initiative.end,
            "budget": initiative.budget,
        }


class NodeForm(forms.Form):
    """A chain node's own fields and its links upwards; its indicators are `MeasureFormSet`.

    `contributes_to` offers every node of the organisation that could be above some node
    (outputs, outcomes, impacts), except the node itself; the page shows those above the chosen
    level and the service refuses any other with the level rule's message."""

    level = forms.ChoiceField(label=_("Level"), choices=_blank(Level.choices))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    initiative = forms.ChoiceField(
        label=_("Initiative"),
        required=False,
        help_text=_(
            "Activities and outputs belong to an initiative; outcomes and impacts may be "
            "shared by several, so for them it may stay empty."
        ),
    )
    contributes_to = forms.MultipleChoiceField(
        label=_("Contributes to"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Nodes of a higher level only: activity → output → outcome → impact (a level may "
            "be skipped)."
        ),
    )

    def __init__(self, *args, initiatives=(), nodes=(), node=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.node = node
        self.initiatives = {str(i.pk): i for i in initiatives}
        self.fields["initiative"].choices = _blank((str(i.pk), i.title) for i in initiatives)
        self.candidates = {
            str(n.pk): n
            for n in nodes
            if n.level != Level.ACTIVITY and (node is None or n.pk != node.pk)
        }
        self.fields["contributes_to"].choices = [(pk, n.title) for pk, n in self.candidates.items()]

    def clean_initiative(self):
        return self.initiatives.get(self.cleaned_data["initiative"])

    def clean_contributes_to(self):
        return [self.candidates[pk] for pk in self.cleaned_data["contributes_to"]]

    def service_data(self) -> dict:
        c = self.cleaned_data
        names = ("level", "title", "description", "initiative", "contributes_to")
        return {name: c[name] for name in names}

    def chosen_level(self) -> str:
        value = self["level"].value()
        return value if value in Level.values else ""

    def target_groups(self) -> list[dict]:
        """The candidates by level for the page, each with whether it is ticked and whether it
        lies above the chosen level (the others start hidden; a script follows the level)."""
        ticked = {str(v) for v in (self["contributes_to"].value() or [])}
        level = self.chosen_level()
        rank = LEVEL_RANK[level] if level else -1
        groups = []
        for name in LEVEL_ORDER[1:]:
            nodes = [n for n in self.candidates.values() if n.level == name]
            if nodes:
                groups.append(
                    {
                        "level": name,
                        "label": Level(name).label,
                        "rank": LEVEL_RANK[name],
                        "above": LEVEL_RANK[name] > rank,
                        "options": [
                            {"node": n, "value": str(n.pk), "ticked": str(n.pk) in ticked}
                            for n in nodes
                        ],
                    }
                )
        return groups

    @staticmethod
    def initial_for(node) -> dict:
        return {
            "level": node.level,
            "title": node.title,
            "description": node.description,
            "initiative": str(node.initiative_id or ""),
            "contributes_to": [str(link.target_id) for link in node.links_up.all()],
        }

    @classmethod
    def initial_from_query(cls, query, *, initiatives, nodes) -> dict:
        """The prefill of `?level=&initiative=&contributes_to=` (repeatable); unknown values,
        or another organisation's ids, are left out."""
        initial = {}
        if query.get("level") in Level.values:
            initial["level"] = query["level"]
        if query.get("initiative") in {str(i.pk) for i in initiatives}:
            initial["initiative"] = query["initiative"]
        known = {str(n.pk) for n in nodes}
        targets = [pk for pk in query.getlist("contributes_to") if pk in known]
        if targets:
            initial["contributes_to"] = targets
        return initial


class MeasureForm(forms.Form):
    """One indicator that measures the node, with its weight (blank: 1)."""

    indicator = forms.ChoiceField(label=_("Indicator"), required=False)
    weight = WeightField(label=_("Weight"))

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = {i.code: i for i in indicators}
        self.fields["indicator"].choices = _blank(
            (i.code, f"{i.name} ({i.code})") for i in indicators
        )

    def as_item(self):
        c = getattr(self, "cleaned_data", {})
        indicator = self.indicators.get(c.get("indicator") or "")
        if indicator is None or c.get("DELETE"):
            return None
        return (indicator, c.get("weight", 1.0))


class BaseMeasureFormSet(forms.BaseFormSet):
    def items(self) -> list:
        """[(Indicator, weight)] of the filled rows, as `create_node` / `update_node` take them."""
        return [item for form in self.forms if (item := form.as_item()) is not None]

    def add_service_errors(self, error: ValidationError) -> None:
        """The service's `indicators` messages, shown above the rows."""
        self._non_form_errors = self.error_class(
            [*self.non_form_errors(), *error.messages], error_class="nonform"
        )

    @staticmethod
    def initial_for(node) -> list[dict]:
        return [
            {"indicator": measure.indicator.code, "weight": measure.weight}
            for measure in node.measures.all()
        ]


MeasureFormSet = forms.formset_factory(
    MeasureForm, formset=BaseMeasureFormSet, extra=2, can_delete=True
)


class ConfirmDeleteForm(forms.Form):
    """The tick that says: yes, delete it with what hangs on it (the service asks for it)."""

    confirm = forms.BooleanField(label=_("Yes, delete it"), required=False)

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["confirm"].label = label


class LinkForm(forms.Form):
    """Add or remove one arrow of a node: `target` (the node contributes to it) or `source`
    (it contributes to the node)."""

    action = forms.ChoiceField(choices=[("add", "add"), ("remove", "remove")])
    target = forms.ChoiceField(label=_("Contributes to"), required=False)
    source = forms.ChoiceField(label=_("Contributor"), required=False)

    def __init__(self, *args, node, nodes=(), linked=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.node = node
        rank, linked = LEVEL_RANK[node.level], set(linked)
        others = [n for n in nodes if n.pk != node.pk]
        self.nodes = {str(n.pk): n for n in others}
        # What the add forms offer: the nodes on the right side not linked yet.
        self.upper = [n for n in others if LEVEL_RANK[n.level] > rank and n.pk not in linked]
        self.lower = [n for n in others if LEVEL_RANK[n.level] < rank and n.pk not in linked]
        # Every node of the organisation is a valid choice: the service says why an arrow the
        # wrong way is refused.
        choices = _blank((str(n.pk), str(n)) for n in others)
        self.fields["target"].choices = choices
        self.fields["source"].choices = choices
        self.fields["target"].widget.choices = _blank((str(n.pk), str(n)) for n in self.upper)
        self.fields["source"].widget.choices = _blank((str(n.pk), str(n)) for n in self.lower)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not (cleaned.get("target") or cleaned.get("source")):
            self.add_error("target", _("Choose a node."))
        return cleaned

    def arrow(self):
        """(source, target) of the arrow to add or remove."""
        c = self.cleaned_data
        if c.get("target"):
            return self.node, self.nodes[c["target"]]
        return self.nodes[c["source"]], self.node
