"""Reading pages of the connectors: the list, and a connector's page with its settings (secrets
masked), its schedule, its run log, a chart of the rows it delivered and the indicators it fed.

Every member sees them (viewers and analysts read only); the buttons that change a connector
are shown to admins only, and their views (`manage.py`) refuse anyone else. Everything is
scoped to the member's organisation: another organisation's connector is a 404.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.pages import page, role_required
from indicators.charts import figure_json

from .. import charts, selectors
from ..models import ConnectorKind, RunStatus
from .summary import (
    RUN_CLASSES,
    delivers,
    masked_hook_url,
    next_run_at,
    schedule_words,
    settings_rows,
    state_of,
)

RUNS_PER_PAGE = 20
ERRORS_SHOWN = 5
CHART_DAYS = 90
NEW_URL_SESSION_KEY = "connector-new-webhook-url"


@role_required(Role.VIEWER)
def connector_list(request):
    """Every connector: kind, what it delivers, schedule in words, state, last run and counts."""
    connectors = list(selectors.connectors_of(request.membership.organisation))
    for connector in connectors:
        connector.last_run = connector.last_runs[0] if connector.last_runs else None
        connector.state = state_of(connector)
        connector.delivers = delivers(connector)
        connector.schedule_words = schedule_words(connector)
        connector.last_class = RUN_CLASSES.get(getattr(connector.last_run, "status", ""), "")
    context = {"connectors": connectors, "kinds": ConnectorKind}
    return page(request, "connectors/connector_list.html", context)


def _run_rows(runs, kind: str) -> list[dict]:
    rows = []
    for run in runs:
        rows.append(
            {
                "run": run,
                "class": RUN_CLASSES.get(run.status, ""),
                "errors": _shown_errors(run, kind),
                "more_errors": max(run.error_count - ERRORS_SHOWN, 0),
            }
        )
    return rows


def _shown_errors(run, kind: str) -> list[dict]:
    """The run's first errors, less one that only repeats the run's message (a refused call),
    each with `where`: the file line, the query's row (counted from 1) or the payload's item."""
    errors = [e for e in (run.errors or []) if e.get("message") != run.message]
    return [{**e, "where": _where(kind, e.get("index"))} for e in errors[:ERRORS_SHOWN]]


def _where(kind: str, index) -> str:
    if index is None:
        return ""
    if kind == ConnectorKind.FILE:
        return _("line %(n)s") % {"n": index}
    if kind == ConnectorKind.SQL:
        return _("row %(n)s") % {"n": index + 1}
    return _("item %(n)s") % {"n": index}


@role_required(Role.VIEWER)
def connector_detail(request, code: str):
    """The connector's settings and schedule, its buttons (admins), its run log (paginated,
    newest first), the rows delivered per run and the indicators it fed."""
    organisation = request.membership.organisation
    connector = selectors.connector_by_code(organisation, code)
    runs = selectors.runs_of(connector, page=request.GET.get("page"), per_page=RUNS_PER_PAGE)
    connector.last_run = connector.runs.order_by("-started_at", "-id").first()
    since = timezone.now() - timedelta(days=CHART_DAYS)
    charted = selectors.runs_since(connector, since)
    # A webhook call brings an item or two: its runs read better summed per day.
    per_day = connector.kind == ConnectorKind.WEBHOOK or len(charted) > charts.MAX_RUNS_DRAWN
    figure = (
        figure_json(charts.runs_figure(charted, tz=organisation.tz, per_day=per_day))
        if any(run.status != RunStatus.RUNNING for run in charted)
        else None
    )
    new_url = None
    shown = request.session.get(NEW_URL_SESSION_KEY)
    if shown and shown.get("code") == connector.code and request.membership.has_role(Role.ADMIN):
        new_url = shown["url"]
        del request.session[NEW_URL_SESSION_KEY]  # shown once: the token is not kept
    context = {
        "connector": connector,
        "state": state_of(connector),
        "settings_rows": settings_rows(connector),
        "schedule_words": schedule_words(connector),
        "next_run": next_run_at(connector),
        "hook_url": masked_hook_url(connector),
        "new_url": new_url,
        "runs": runs,
        "run_rows": _run_rows(runs, connector.kind),
        "figure": figure,
        "chart_days": CHART_DAYS,
        "per_day": per_day,
        "feeds": selectors.feeds_of(connector),
        "is_pull": connector.kind != ConnectorKind.WEBHOOK,
    }
    return page(request, "connectors/connector_detail.html", context)
