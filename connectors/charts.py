"""Plotly figures of a connector's runs, from selector output (Run rows). No queries here.

`runs_figure`: the rows each run read, one bar per run at its start time, coloured by its
status: a succeeded run is a green bar (hatched when dry), a failed one a red cross, a skipped
one a grey ring; the hover says what it wrote. Drawn by static/js/charts.js like every figure of the app.
"""

from django.utils import formats
from django.utils.translation import gettext

from indicators.charts import ASSESSMENT_COLOURS, base_layout

from .models import RunStatus

STATUS_COLOURS = {
    RunStatus.SUCCEEDED: ASSESSMENT_COLOURS["better"],
    RunStatus.FAILED: ASSESSMENT_COLOURS["worse"],
    RunStatus.SKIPPED: "#b9c2cc",
    RunStatus.RUNNING: "#b26a00",
}
SYMBOLS = {RunStatus.FAILED: "x", RunStatus.SKIPPED: "circle-open", RunStatus.RUNNING: "diamond"}
BAR_MS = 3_600_000 * 4  # four hours: a bar stays readable over 90 days
ORDER = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SKIPPED, RunStatus.RUNNING)


def _hover(run, tz) -> str:
    when = formats.date_format(run.started_at.astimezone(tz), "SHORT_DATETIME_FORMAT")
    text = gettext(
        "%(when)s · %(status)s<br>%(rows)s rows: %(created)s created, %(updated)s updated"
    ) % {
        "when": when,
        "status": RunStatus(run.status).label,
        "rows": run.rows,
        "created": run.created,
        "updated": run.updated,
    }
    return text + (" · " + gettext("dry run") if run.dry_run else "")


MAX_RUNS_DRAWN = 400  # more runs than this (a 15-minute schedule) are drawn per day


def runs_figure(runs: list, *, tz, per_day: bool = False) -> dict:
    """Rows read per run over time, a trace per status (the legend entries); per day instead
    (rows summed, days with failed runs marked) when asked or past MAX_RUNS_DRAWN runs."""
    if per_day or len(runs) > MAX_RUNS_DRAWN:
        return _daily_figure(runs, tz=tz)
    data = []
    for status in ORDER:
        chosen = [run for run in runs if run.status == status]
        if not chosen:
            continue
        trace = {
            "name": str(RunStatus(status).label),
            "x": [run.started_at.astimezone(tz).isoformat() for run in chosen],
            "y": [run.rows for run in chosen],
            "hovertext": [_hover(run, tz) for run in chosen],
            "hoverinfo": "text",
        }
        if status == RunStatus.SUCCEEDED:
            trace |= {
                "type": "bar",
                "marker": {
                    "color": STATUS_COLOURS[status],
                    "pattern": {"shape": ["/" if run.dry_run else "" for run in chosen]},
                },
                "width": BAR_MS,
            }
        else:
            # A failed or skipped run often read nothing: a marker keeps it visible at 0.
            trace |= {
                "type": "scatter",
                "mode": "markers",
                "marker": {"color": STATUS_COLOURS[status], "size": 10, "symbol": SYMBOLS[status]},
                "cliponaxis": False,
            }
        data.append(trace)
    return _figure(data, gettext("rows read"))


def _daily_figure(runs: list, *, tz) -> dict:
    days: dict = {}
    for run in runs:
        day = days.setdefault(run.started_at.astimezone(tz).date(), {"rows": 0, "runs": 0})
        day["runs"] += 1
        if run.status == RunStatus.SUCCEEDED and not run.dry_run:
            day["rows"] += run.rows
        elif run.status == RunStatus.FAILED:
            day["failed"] = day.get("failed", 0) + 1
    order = sorted(days)
    x = [day.isoformat() for day in order]
    data = [
        {
            "type": "bar",
            "name": gettext("rows read by succeeded runs"),
            "x": x,
            "y": [days[day]["rows"] for day in order],
            "marker": {"color": STATUS_COLOURS[RunStatus.SUCCEEDED]},
            "hovertext": [
                gettext("%(day)s: %(rows)s rows in %(runs)s runs")
                % {
                    "day": formats.date_format(day, "SHORT_DATE_FORMAT"),
                    "rows": days[day]["rows"],
                    "runs": days[day]["runs"],
                }
                for day in order
            ],
            "hoverinfo": "text",
        }
    ]
    failed = [day for day in order if days[day].get("failed")]
    if failed:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": gettext("days with failed runs"),
                "x": [day.isoformat() for day in failed],
                # On top of the day's bar, where the eye is (at 0 the axis hides it).
                "y": [days[day]["rows"] for day in failed],
                "cliponaxis": False,
                "marker": {"color": STATUS_COLOURS[RunStatus.FAILED], "size": 11, "symbol": "x"},
                "hovertext": [
                    gettext("%(day)s: %(count)s failed run(s)")
                    % {
                        "day": formats.date_format(day, "SHORT_DATE_FORMAT"),
                        "count": days[day]["failed"],
                    }
                    for day in failed
                ],
                "hoverinfo": "text",
            }
        )
    return _figure(data, gettext("rows read per day"))


def _figure(data: list, title: str) -> dict:
    return {
        "data": data,
        "layout": base_layout(
            height=260,
            margin={"l": 50, "r": 20, "t": 30, "b": 40},
            barmode="overlay",
            legend={"orientation": "h", "y": 1.08, "yanchor": "bottom", "x": 0},
            yaxis={"title": {"text": title}, "rangemode": "tozero"},
            xaxis={"type": "date"},
        ),
    }
