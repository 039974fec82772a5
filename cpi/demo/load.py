"""Load the demo's CPI evidence (helper: to be written)."""


def load_demo_evidence(*, organisation, people: dict, today) -> str:
    return "CPI evidence: none yet"
