"""The signal-vs-noise panel of the indicator page: natural process limits and their baseline."""


def spc_panel(indicator, values: dict) -> dict:
    """Context for templates/indicators/_spc.html (the limits, the baseline window)."""
    return {"spc_indicator": indicator}
