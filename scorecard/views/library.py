"""The indicator library page: filter the curated measures (say / do, CPI / KPI, layer) in the
reader's language, and add one as an indicator (code prefilled and changeable), optionally as a
measure of an objective. Everyone reads the library; analysts and admins add."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from accounts.pages import page, role_required
from core.errors import NotFound
from indicators.models import CODE_VALIDATOR, Kind, Layer

from .. import library as catalogue
from .. import selectors
from ..library import choices
from ..services.library import add_from_library

EVIDENCE_CHOICES = [
    ("say", gettext_lazy("what customers say")),
    ("do", gettext_lazy("what customers do")),
    (catalogue.NEITHER, gettext_lazy("neither")),
]


def _filters(request) -> dict:
    query = request.GET
    allowed = {
        "evidence": {value for value, _label in EVIDENCE_CHOICES},
        "kind": set(Kind.values),
        "layer": set(Layer.values),
    }
    return {
        name: query.get(name) if query.get(name) in values else ""
        for name, values in allowed.items()
    }


@role_required(Role.VIEWER)
def library(request):
    organisation = request.membership.organisation
    filters = _filters(request)
    language = catalogue.language_of(get_language())
    entries = catalogue.filtered(**{name: value for name, value in filters.items() if value})
    in_use = choices.codes_in_use(organisation=organisation, codes=[e.code for e in entries])
    objective = _objective_asked(request, organisation)
    rows = [
        {
            "entry": entry,
            "name": entry.name(language),
            "definition": entry.definition(language),
            "unit": entry.unit(language),
            "in_use": entry.code in in_use,
        }
        for entry in entries
    ]
    context = {
        "rows": rows,
        "filters": filters,
        "evidences": EVIDENCE_CHOICES,
        "kinds": Kind.choices,
        "layers": Layer.choices,
        "total": len(catalogue.entries()),
        "objective": objective,
    }
    template = "scorecard/_library_rows.html" if request.htmx else "scorecard/library.html"
    return page(request, template, context)


def _objective_asked(request, organisation):
    """The objective of `?objective=<id>` (the measures page's "add from the library"), if it is
    one of the organisation's; its id then rides along on every "add" link."""
    wanted = request.GET.get("objective", "")
    if not (wanted.isascii() and wanted.isdigit()):
        return None
    try:
        return selectors.objective_by_id(organisation=organisation, pk=int(wanted))
    except NotFound:
        return None


class LibraryAddForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=63,
        validators=[CODE_VALIDATOR],
        help_text=gettext_lazy(
            "How the API and uploads name the indicator: lowercase letters, digits and "
            "underscores. It cannot be changed later."
        ),
    )
    objective = forms.TypedChoiceField(
        label=gettext_lazy("Add to objective"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=gettext_lazy("Optional: also put it on a scorecard objective as a measure."),
    )
    weight = forms.FloatField(
        label=gettext_lazy("Weight"),
        initial=1.0,
        min_value=0,
        help_text=gettext_lazy("Its weight in the objective's score."),
    )

    def __init__(self, *args, objectives=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.objectives = {o.pk: o for o in objectives}
        groups: dict[str, list] = {}
        for objective in objectives:
            perspective = objective.perspective
            group = f"{perspective.scorecard.name} · {perspective.display_label}"
            groups.setdefault(group, []).append((objective.pk, objective.title))
        self.fields["objective"].choices = [("", _("— none —")), *groups.items()]

    def clean_weight(self):
        weight = self.cleaned_data.get("weight")
        return 1.0 if weight is None else weight


# Service fields that have no field of their own on the form.
FIELD_OF = {"name": "code", "description": "code", "unit": "code"}


@role_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def library_add(request, code):
    organisation = request.membership.organisation
    entry = catalogue.entry_by_code(code)
    language = catalogue.language_of(get_language())
    objectives = choices.objective_choices(organisation=organisation)
    initial = {"code": entry.code, "weight": 1.0}
    wanted = request.GET.get("objective", "")
    if wanted.isascii() and wanted.isdigit() and int(wanted) in {o.pk for o in objectives}:
        initial["objective"] = int(wanted)
    form = LibraryAddForm(
        request.POST if request.method == "POST" else None, initial=initial, objectives=objectives
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        objective = form.objectives.get(data["objective"])
        try:
            indicator = add_from_library(
                organisation=organisation,
                entry=entry,
                code=data["code"],
                objective=objective,
                weight=data["weight"],
                language=language,
            )
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                field = FIELD_OF.get(name, name)
                form.add_error(field if field in form.fields else None, problems)
        else:
            if objective is None:
                messages.success(
                    request,
                    _(
                        "The indicator “%(name)s” was created from the library: give it a "
                        "baseline and a target so that it scores."
                    )
                    % {"name": indicator.name},
                )
                return redirect("indicator-detail", code=indicator.code)
            messages.success(
                request,
                _("The indicator “%(name)s” was created and measures “%(objective)s”.")
                % {"name": indicator.name, "objective": objective.title},
            )
            return redirect("objective-measures", pk=objective.pk)
    in_use = choices.codes_in_use(organisation=organisation, codes=[entry.code])
    context = {
        "entry": entry,
        "name": entry.name(language),
        "definition": entry.definition(language),
        "unit": entry.unit(language),
        "in_use": entry.code in in_use,
        "form": form,
        "has_objectives": bool(objectives),
    }
    status = 400 if request.method == "POST" else 200
    return page(request, "scorecard/library_add.html", context, status=status)
