"""Demo parts: what apps above `indicators` add to the demo organisation, without being imported.

An app whose demo data builds on the demo's indicators (the results chain, the scorecard)
registers a part from its `AppConfig.ready()`:

    from indicators.demo.parts import register_demo_part

    class OutcomesConfig(AppConfig):
        def ready(self):
            register_demo_part("outcomes.chain", load_demo_chain)

`load_demo` calls every part, in the order they were registered, after the indicators are
loaded and recomputed: `load(organisation=, people=, today=)`, where `people` maps the demo's
usernames (admin, analyst, viewer) to their users and `today` is the demo's last day. A part
writes through its app's services and returns one line for the command's report.
Replacing the demo deletes the organisation, and every part's rows go with it (their foreign
keys cascade from the organisation), so a part has nothing to clear.
"""

from collections.abc import Callable
from datetime import date

_parts: dict[str, Callable[..., str]] = {}


def register_demo_part(name: str, load: Callable[..., str]) -> None:
    """Add (or, under the same name, replace) a part of the demo."""
    _parts[name] = load


def unregister_demo_part(name: str) -> None:
    _parts.pop(name, None)


def load_demo_parts(*, organisation, people: dict, today: date) -> dict[str, str]:
    """Run every registered part; {name: its report line}, in the order of registration."""
    return {
        name: load(organisation=organisation, people=people, today=today)
        for name, load in list(_parts.items())
    }
