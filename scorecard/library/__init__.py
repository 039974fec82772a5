"""The indicator library: curated customer-perspective measures, ready to add as indicators.

`measures.json` holds each entry's definition (kind CPI / KPI, say / do / neither, layer, unit,
direction, aggregation, period, leading) with its name, one-line definition and unit in en / sv /
fi. It is read once and checked against the indicator choices, so a bad edit of the file fails
at the first read, not when someone adds the measure. `add_from_library` (services) creates the
indicator from an entry.
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import get_language

from core.errors import NotFound
from indicators.models import CODE_VALIDATOR, Aggregation, Direction, Evidence, Kind, Layer, Period

MEASURES_FILE = Path(__file__).with_name("measures.json")
LANGUAGES = ("en", "sv", "fi")
FALLBACK = "en"
# The filter value of an entry that is neither what customers say nor what they do.
NEITHER = "none"
LAYER_ORDER = tuple(Layer.values)  # impact, execution, prerequisite, choice


def language_of(code: str | None) -> str:
    """The library language for a language code ("sv-se" -> "sv"); English when not held."""
    base = (code or "").lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else FALLBACK


@dataclass(frozen=True)
class LibraryEntry:
    code: str
    kind: str
    evidence: str  # "say", "do" or "" (neither)
    layer: str
    direction: str
    aggregation: str
    period: str
    leading: bool
    names: dict
    definitions: dict
    units: dict

    def name(self, language: str | None = None) -> str:
        return self.names[language_of(language or get_language())]

    def definition(self, language: str | None = None) -> str:
        return self.definitions[language_of(language or get_language())]

    def unit(self, language: str | None = None) -> str:
        return self.units[language_of(language or get_language())]

    def get_kind_display(self) -> str:
        return Kind(self.kind).label

    def get_evidence_display(self) -> str:
        return Evidence(self.evidence).label if self.evidence else ""

    def get_layer_display(self) -> str:
        return Layer(self.layer).label

    def get_direction_display(self) -> str:
        return Direction(self.direction).label

    def get_aggregation_display(self) -> str:
        return Aggregation(self.aggregation).label

    def get_period_display(self) -> str:
        return Period(self.period).label

    def indicator_data(self, *, language: str | None = None, code: str | None = None) -> dict:
        """The data `indicators.services.create_indicator` takes, worded in `language`."""
        return {
            "code": code or self.code,
            "name": self.name(language),
            "description": self.definition(language),
            "unit": self.unit(language),
            "kind": self.kind,
            "direction": self.direction,
            "aggregation": self.aggregation,
            "period": self.period,
            "evidence": self.evidence,
            "layer": self.layer,
            "leading": self.leading,
        }


def _texts(raw: dict, name: str, code: str) -> dict:
    value = raw.get(name)
    if isinstance(value, str):
        value = dict.fromkeys(LANGUAGES, value)
    if not isinstance(value, dict) or any(
        not isinstance(value.get(language), str) or not value[language].strip()
        for language in LANGUAGES
    ):
        raise ImproperlyConfigured(f"Library entry {code}: {name} needs en, sv and fi.")
    return {language: value[language] for language in LANGUAGES}


def _entry(raw: dict) -> LibraryEntry:
    code = raw.get("code")
    if not isinstance(code, str) or not CODE_VALIDATOR.regex.fullmatch(code):
        raise ImproperlyConfigured(f"Library entry {code!r}: not an indicator code.")
    choices = {
        "kind": Kind.values,
        "layer": Layer.values,
        "direction": Direction.values,
        "aggregation": Aggregation.values,
        "period": Period.values,
    }
    for name, allowed in choices.items():
        if raw.get(name) not in allowed:
            raise ImproperlyConfigured(f"Library entry {code}: {name} {raw.get(name)!r}.")
    evidence = raw.get("evidence") or ""
    if evidence and evidence not in Evidence.values:
        raise ImproperlyConfigured(f"Library entry {code}: evidence {evidence!r}.")
    if not isinstance(raw.get("leading"), bool):
        raise ImproperlyConfigured(f"Library entry {code}: leading must be true or false.")
    return LibraryEntry(
        code=code,
        kind=raw["kind"],
        evidence=evidence,
        layer=raw["layer"],
        direction=raw["direction"],
        aggregation=raw["aggregation"],
        period=raw["period"],
        leading=raw["leading"],
        names=_texts(raw, "name", code),
        definitions=_texts(raw, "definition", code),
        units=_texts(raw, "unit", code),
    )


def load(path: Path = MEASURES_FILE) -> tuple[LibraryEntry, ...]:
    """Every entry of the file, in its order; ImproperlyConfigured on a bad or repeated entry."""
    document = json.loads(path.read_text(encoding="utf-8"))
    found = tuple(_entry(raw) for raw in document["measures"])
    codes = [entry.code for entry in found]
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise ImproperlyConfigured(f"Library entries repeated: {', '.join(repeated)}.")
    return found


@lru_cache(maxsize=1)
def entries() -> tuple[LibraryEntry, ...]:
    """The library, read once per process."""
    return load()


@lru_cache(maxsize=1)
def _by_code() -> dict[str, LibraryEntry]:
    return {entry.code: entry for entry in entries()}


def entry_by_code(code: str) -> LibraryEntry:
    """The entry with this code, or core.errors.NotFound."""
    entry = _by_code().get(code)
    if entry is None:
        raise NotFound(f"No library entry {code}.")
    return entry


def filtered(
    *, evidence: str | None = None, kind: str | None = None, layer: str | None = None
) -> list[LibraryEntry]:
    """The entries matching every filter given (`evidence` "none": neither say nor do), by
    layer (impact, execution, prerequisite, choice) and then in the file's order."""
    found = [
        entry
        for entry in entries()
        if (not evidence or entry.evidence == ("" if evidence == NEITHER else evidence))
        and (not kind or entry.kind == kind)
        and (not layer or entry.layer == layer)
    ]
    return sorted(found, key=lambda entry: LAYER_ORDER.index(entry.layer))
