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

A higher app may also take over one of the story's series: the surveys app feeds the monthly
`nps` from generated relationship-survey responses. It claims the series from its `ready()`:

    claim_demo_series("nps", load_demo_relationship_survey)

The story then leaves that indicator's measurements out of what it ingests (the indicator itself
is still defined), and `load_demo` hands them to the claimant once the indicators are loaded,
before the deviations are dated and handled and before any part runs:
`load(organisation=, people=, today=, measurements=)`, where `measurements` are the story's own
items of the series, for the claimant to reproduce. It returns one report line, like a part.
"""

from collections.abc import Callable
from datetime import date

_parts: dict[str, Callable[..., str]] = {}


def register_demo_part(name: str, load: Callable[..., str]) -> None:
    """Add (or, under the same name, replace) a part of the demo."""
    _parts[name] = load


def unregister_demo_part(name: str) -> None:
    _parts.pop(name, None)


_claims: dict[str, Callable[..., str]] = {}


def claim_demo_series(code: str, load: Callable[..., str]) -> None:
    """Take the story's series `code` over (the same code again replaces the claimant)."""
    _claims[code] = load


def unclaim_demo_series(code: str) -> None:
    _claims.pop(code, None)


def claimed_demo_series() -> frozenset[str]:
    """The codes of the story's series that a higher app loads instead."""
    return frozenset(_claims)


def load_claimed_series(
    *, organisation, people: dict, today: date, withheld: dict[str, list[dict]]
) -> dict[str, str]:
    """Call each claimant with the story's items of its series; {code: its report line}."""
    return {
        code: _claims[code](
            organisation=organisation,
            people=people,
            today=today,
            measurements=withheld.get(code, []),
        )
        for code in sorted(withheld)
        if code in _claims
    }


def load_demo_parts(*, organisation, people: dict, today: date) -> dict[str, str]:
    """Run every registered part; {name: its report line}, in the order of registration."""
    return {
        name: load(organisation=organisation, people=people, today=today)
        for name, load in list(_parts.items())
    }
