"""The deviations of the metric pipe: the managers' inbox, one deviation's page, acting on one."""

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from accounts.models import Role
from accounts.views import page, role_required

from .. import charts, selectors, services
from ..compute.periods import next_period_start, previous_period_start
from ..forms import DeviationForm
from ..models import DeviationKind, DeviationState

# "waiting": open or acknowledged, what still needs someone (the inbox's default).
DEVIATION_FILTERS = ["waiting", "open", "acknowledged", "closed", "resolved_by_data", "all"]
WAITING = (DeviationState.OPEN, DeviationState.ACKNOWLEDGED)
SORTS = {
    # Oldest first: what has waited longest comes first.
    "age": [Coalesce("opened_at", "created_at").asc(), "id"],
    "miss": [F("miss").desc(nulls_last=True), "id"],
}
PAGE_SIZE = 25
# The chart around a deviation's period: this many periods before it and after it.
BEFORE, AFTER = 12, 3


@role_required(Role.VIEWER)
def deviation_list(request):
    organisation = request.membership.organisation
    chosen = _filters(request, organisation)
    deviations = selectors.deviations_of(organisation=organisation).select_related("owner")
    deviations = _filtered(deviations, chosen).order_by(*SORTS[chosen["sort"]])
    sections = []
    for kind, title, hint in (
        (
            DeviationKind.CORRECTIVE,
            _("Corrective action"),
            _("Worse than the band: do what was agreed."),
        ),
        (
            DeviationKind.LEARNING,
            _("Learning action"),
            _("Better than the band: what made this possible, can we repeat it?"),
        ),
    ):
        if chosen["kind"] in ("", kind):
            of_kind = Paginator(deviations.filter(kind=kind), PAGE_SIZE)
            page_obj = of_kind.get_page(request.GET.get(f"{kind}_page"))
            sections.append({"kind": kind, "title": title, "hint": hint, "page": page_obj})
    signals = selectors.deviation_signals(deviations=[d for s in sections for d in s["page"]])
    for section in sections:
        section["items"] = [_item(d, signals.get(d.pk)) for d in section["page"]]
    context = {
        "sections": sections,
        "chosen": chosen,
        "query": _query(chosen),
        "states": [
            ("waiting", _("open or acknowledged")),
            *DeviationState.choices,
            ("all", _("all")),
        ],
        "kinds": DeviationKind.choices,
        "members": account_selectors.members_of(organisation=organisation),
        "indicators": selectors.indicators_of(organisation=organisation),
    }
    return page(request, "indicators/deviations.html", context)


def _filters(request, organisation) -> dict:
    get = request.GET
    state = get.get("state", "waiting")
    kind = get.get("kind", "")
    sort = get.get("sort", "age")
    return {
        "state": state if state in DEVIATION_FILTERS else "waiting",
        "kind": kind if kind in DeviationKind.values else "",
        "owner": get.get("owner", "")[:150],
        "indicator": get.get("indicator", "")[:100],
        "sort": sort if sort in SORTS else "age",
    }


def _filtered(deviations, chosen: dict):
    if chosen["state"] == "waiting":
        deviations = deviations.filter(state__in=WAITING)
    elif chosen["state"] != "all":
        deviations = deviations.filter(state=chosen["state"])
    if chosen["owner"] == "-":
        deviations = deviations.filter(owner__isnull=True)
    elif chosen["owner"]:
        deviations = deviations.filter(owner__username=chosen["owner"])
    if chosen["indicator"]:
        deviations = deviations.filter(indicator__code=chosen["indicator"])
    return deviations


def _query(chosen: dict) -> str:
    """The filters as a query string, for the pager links."""
    return urlencode({k: v for k, v in chosen.items() if v})


def _item(deviation, signal: str | None) -> dict:
    return {
        "deviation": deviation,
        "label": charts.period_label(deviation.period_start, deviation.period),
        "signal": signal,
        "side": _side(deviation),
        # 0.6, not 0.60; the language's decimal mark.
        "miss": None if deviation.miss is None else number_format(round(deviation.miss, 2)),
    }


def _side(deviation) -> str:
    """ "below" or "above" the band the deviation's value left."""
    low, value = deviation.band_low, deviation.value
    return "below" if low is not None and value is not None and value < low else "above"


@role_required(Role.VIEWER)
def deviation_detail(request, pk: int):
    organisation = request.membership.organisation
    deviation = selectors.deviation_by_id(organisation=organisation, pk=pk)
    deviation = (
        selectors.deviations_with_history(organisation=organisation).filter(pk=deviation.pk).get()
    )
    indicator = deviation.indicator
    signal = selectors.deviation_signals(deviations=[deviation]).get(deviation.pk)
    context = {
        "deviation": deviation,
        "indicator": indicator,
        "item": _item(deviation, signal),
        "figure": charts.figure_json(_figure_around(deviation)),
        "comments": indicator.comments.filter(
            period=deviation.period, period_start=deviation.period_start
        ).select_related("author"),
        "form": DeviationForm(
            initial={"state": deviation.state, "note": deviation.note},
            prefix=f"d{deviation.pk}",
            current_state=deviation.state,
        ),
        "members": account_selectors.members_of(organisation=organisation),
        "can_reopen": deviation.state in (DeviationState.ACKNOWLEDGED, DeviationState.CLOSED),
        "can_acknowledge": deviation.state == DeviationState.OPEN,
        "can_close": deviation.state in (DeviationState.OPEN, DeviationState.ACKNOWLEDGED),
    }
    return page(request, "indicators/deviation_detail.html", context)


def _figure_around(deviation) -> dict:
    """The indicator's chart from BEFORE periods before the deviation's to AFTER after it,
    with its period shaded."""
    start = end = deviation.period_start
    for _step in range(BEFORE):
        start = previous_period_start(start, deviation.period)
    for _step in range(AFTER):
        end = next_period_start(end, deviation.period)
    values = selectors.indicator_values(
        indicator=deviation.indicator, period=deviation.period, start=start, end=end
    )
    figure = charts.indicator_figure(values=values, unit=deviation.indicator.unit)
    starts = [date.fromisoformat(row["period_start"]) for row in values["results"]]
    if deviation.period_start in starts:
        at = starts.index(deviation.period_start)
        figure["layout"]["shapes"] = [
            *figure["layout"].get("shapes", []),
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": at - 0.5,
                "x1": at + 0.5,
                "y0": 0,
                "y1": 1,
                "fillcolor": "rgba(255, 214, 102, 0.35)",
                "line": {"width": 0},
                "layer": "below",
            },
        ]
    return figure


@role_required(Role.ANALYST)
@require_POST
def deviation_update(request, pk: int):
    deviation = selectors.deviation_by_id(organisation=request.membership.organisation, pk=pk)
    prefix = f"d{pk}"
    form = DeviationForm(request.POST, prefix=prefix, current_state=deviation.state)
    if not form.is_valid():
        messages.error(request, _("Choose a state for the deviation."))
    else:
        _save(request, deviation, form, request.POST.get(f"{prefix}-owner"))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("deviations")


def _save(request, deviation, form, owner_name: str | None) -> None:
    """Through the one service; its refusals (naming the field) become messages."""
    changes = {}
    if owner_name is not None:  # the field was on the form: "" is nobody
        owner = account_selectors.member_by_username(
            organisation=request.membership.organisation, username=owner_name
        )
        if owner_name and owner is None:
            messages.error(request, _("Owner: no member of the organisation is called that."))
            return
        changes["owner"] = owner
    try:
        services.update_deviation(
            deviation=deviation,
            by=request.user,
            state=form.cleaned_data["state"],
            note=form.cleaned_data["note"],
            **changes,
        )
    except ValidationError as refused:
        for field, errors in refused.message_dict.items():
            for message in errors:
                messages.error(request, f"{_field_label(field)}: {message}")
    else:
        messages.success(request, _("The deviation was updated."))


def _field_label(field: str) -> str:
    return {"state": _("State"), "note": _("Note"), "owner": _("Owner")}.get(field, field)
