"""Where an indicator's measurements come from, as the indicator page lists them.

Apps above the indicators (a survey question that feeds it, a connector that delivers to it)
register a function in their `AppConfig.ready()`:

    from indicators.sources import Source, register_sources

    register_sources("connectors", sources_of)   # sources_of(indicator) -> list[Source]

The indicator page shows every registered app's sources in registration order, so a manager sees
that a number arrives by itself, from what, and whether that source is healthy.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    label: str  # "SQL pull: CRM daily quotes"
    url: str  # the source's own page
    state: str  # "ok", "failing" or "paused"
    detail: str = ""  # "last delivered 2 hours ago", "failed 3 times in a row"


SourcesOf = Callable[[object], list[Source]]
_SOURCES: dict[str, SourcesOf] = {}


def register_sources(name: str, sources_of: SourcesOf) -> None:
    _SOURCES[name] = sources_of


def unregister_sources(name: str) -> None:
    _SOURCES.pop(name, None)


def sources_of(indicator) -> list[Source]:
    """Every registered app's sources of `indicator`."""
    return [source for find in _SOURCES.values() for source in find(indicator)]
