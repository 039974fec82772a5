"""The roll-up numbers that docs/api.md and the README state are the ones outcomes.compute uses."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from indicators.compute.status import AT_RISK_FROM, ON_TRACK_FROM
from outcomes.compute import STATUS_SCORES

BASE = Path(settings.BASE_DIR)
NUMBER = r"(\d+(?:\.\d+)?)"
# "on track 1, at risk 0.75, off track 0" (or "1 on track, 0.75 at risk, 0 off track") and
# ">= 0.9 is on track, >= 0.6 at risk", with or without backticks and underscores.
SCORES = re.compile(rf"on.track {NUMBER},\s+at.risk {NUMBER},\s+off.track {NUMBER}")
SCORES_AFTER = re.compile(rf"{NUMBER} on.track,\s+{NUMBER} at.risk,\s+{NUMBER} off.track")
THRESHOLDS = re.compile(rf">= {NUMBER} (?:is )?`?on.track`?,\s+>= {NUMBER} `?at.risk")


def section(path: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same or a higher level."""
    text = (BASE / path).read_text()
    level = heading.split(" ")[0]
    start = text.index(heading + "\n")
    following = re.compile(rf"^#{{1,{len(level)}}} ", re.MULTILINE)
    end = following.search(text, start + len(heading))
    return text[start : end.start() if end else len(text)]


SECTIONS = [("docs/api.md", "## Results chain"), ("README.md", "### The results chain")]


@pytest.mark.parametrize(("path", "heading"), SECTIONS)
def test_the_scores_of_each_status_are_the_ones_the_roll_up_uses(path, heading):
    text = section(path, heading)
    stated = SCORES.findall(text) + SCORES_AFTER.findall(text)
    assert stated, f"{path} states no roll-up scores under {heading!r}"
    expected = (STATUS_SCORES["on_track"], STATUS_SCORES["at_risk"], STATUS_SCORES["off_track"])
    assert {tuple(float(n) for n in found) for found in stated} == {expected}


@pytest.mark.parametrize(("path", "heading"), SECTIONS)
def test_the_thresholds_are_the_ones_the_roll_up_uses(path, heading):
    stated = THRESHOLDS.findall(section(path, heading))
    assert stated, f"{path} states no thresholds under {heading!r}"
    assert {tuple(float(n) for n in found) for found in stated} == {(ON_TRACK_FROM, AT_RISK_FROM)}


def test_the_numbers_checked_are_the_platforms_own():
    # Worked out from the rule itself: at risk is the middle of the band [0.6, 0.9).
    assert STATUS_SCORES == {"on_track": 1.0, "at_risk": 0.75, "off_track": 0.0}
    assert (ON_TRACK_FROM, AT_RISK_FROM) == (0.9, 0.6)
