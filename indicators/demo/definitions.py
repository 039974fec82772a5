"""The demo's indicator definitions: data in `definitions.json`, dated here for the demo's range."""

import json
from datetime import date
from pathlib import Path

DEFINITIONS = Path(__file__).with_name("definitions.json")


def indicator_definitions(*, start: date, today: date) -> list[dict]:
    """The demo's CPIs and KPIs as `create_indicator` data, inputs before the formula using them.

    The baseline is dated `start`; the first target holds from `start`, the second from 1 January
    of `today`'s year; the band holds from the start, and a `band_from_1_january` (a band
    tightened with the new target) from 1 January; `limits_from_1_january` starts the natural
    process limits' baseline on 1 January; the benchmark holds from `start`, and
    `{last_year}` in its source is the year before `today`'s.
    """
    entries = json.loads(DEFINITIONS.read_text(encoding="utf-8"))
    return [dated_definition(entry, start=start, today=today) for entry in entries]


DATED = (
    "baseline",
    "targets",
    "benchmark",
    "band",
    "band_from_1_january",
    "limits_from_1_january",
)


def dated_definition(entry: dict, *, start: date, today: date) -> dict:
    """One `definitions.json`-shaped entry as `create_indicator` data (see above); demo data of
    the apps above defines its own indicators in the same shape."""
    targets, benchmark = entry["targets"], entry["benchmark"]
    bands = [{"from": None, **entry["band"]}]
    if "band_from_1_january" in entry:
        bands.append({"from": date(today.year, 1, 1), **entry["band_from_1_january"]})
    limits = {}
    if entry.get("limits_from_1_january"):
        # The analyst recalculated the natural process limits once the new process had settled.
        limits["spc_baseline_from"] = date(today.year, 1, 1)
    return {
        **{k: v for k, v in entry.items() if k not in DATED},
        **limits,
        "baseline": {"value": entry["baseline"], "date": start},
        "bands": bands,
        "targets": [
            {"from": start, "value": targets["from_start"]},
            {"from": date(today.year, 1, 1), "value": targets["from_1_january"]},
        ],
        "benchmarks": [
            {
                "from": start,
                "value": benchmark["value"],
                "source": benchmark["source"].format(last_year=today.year - 1),
            }
        ],
    }
