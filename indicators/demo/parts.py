"""Demo parts: what apps above `indicators` add to the demo organisation, without being imported.

An app whose demo data builds on the demo's indicators (the results chain, the scorecard)
registers a part from its `AppConfig.ready()`:

    from indicators.demo.parts import register_demo_part

    class OutcomesConfig(AppConfig):
        def ready(self):
            register_demo_part("outcomes.chain", load_demo_chain, clear=clear_demo_chain)

`load_demo` calls every part, in the order they were registered, after the indicators are
loaded and recomputed: `load(organisation=, people=, today=)`, where `people` maps the demo's
usernames (admin, analyst, viewer) to their users and `today` is the demo's last day. A part
writes through its app's services and returns one line for the command's report.

`clear(organisation=)`, when given, runs (in the order of registration) before an existing demo
organisation is deleted to be loaded again: for the part's rows that would block that deletion
(a protected foreign key) or that its services want to remove themselves.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DemoPart:
    load: Callable[..., str]
    clear: Callable[..., None] | None = None


_parts: dict[str, DemoPart] = {}


def register_demo_part(
    name: str, load: Callable[..., str], *, clear: Callable[..., None] | None = None
) -> None:
    """Add (or, under the same name, replace) a part of the demo."""
    _parts[name] = DemoPart(load=load, clear=clear)


def unregister_demo_part(name: str) -> None:
    _parts.pop(name, None)


def clear_demo_parts(*, organisation) -> None:
    """Let every part remove its data from the demo organisation before it is deleted."""
    for part in list(_parts.values()):
        if part.clear is not None:
            part.clear(organisation=organisation)


def load_demo_parts(*, organisation, people: dict, today: date) -> dict[str, str]:
    """Run every registered part; {name: its report line}, in the order of registration."""
    return {
        name: part.load(organisation=organisation, people=people, today=today)
        for name, part in list(_parts.items())
    }
