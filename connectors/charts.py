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


def runs_figure(runs: list, *, tz) -> dict:
    """Rows read per run over time, a bar trace per status (legend entries: the statuses)."""
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
            }
        data.append(trace)
    return {
        "data": data,
        "layout": base_layout(
            height=260,
            margin={"l": 50, "r": 20, "t": 30, "b": 40},
            barmode="overlay",
            legend={"orientation": "h", "y": 1.08, "yanchor": "bottom", "x": 0},
            yaxis={"title": {"text": gettext("rows read")}, "rangemode": "tozero"},
            xaxis={"type": "date"},
        ),
    }
