"""A hypothesis's status and which evidence decided it.

An experiment's verdict decides when there is one (the latest finished experiment with a
verdict); otherwise the correlation decides: supported when the best lag's p-value times the
number of lags tried (Bonferroni) is below 0.05, r has the expected sign and n >= 12; refuted
when the same holds with the opposite sign; else inconclusive; proposed until evidence exists.
"""

ALPHA = 0.05
MIN_N = 12
STATUSES = ("proposed", "supported", "refuted", "inconclusive")
SOURCES = ("experiment", "correlation", "none")


def adjusted_p(p_value: float, lags_tried: int) -> float:
    """Bonferroni: the p-value times the number of lags tried, at most 1."""
    return min(1.0, p_value * lags_tried)


def correlation_status(evidence: dict | None, *, expected_sign: str, lags_tried: int) -> str:
    """supported | refuted | inconclusive from the lagged correlation; proposed without r."""
    if not evidence or evidence.get("r") is None:
        return "proposed"
    significant = evidence["n"] >= MIN_N and adjusted_p(evidence["p_value"], lags_tried) < ALPHA
    if not significant:
        return "inconclusive"
    positive = evidence["r"] > 0
    return "supported" if positive == (expected_sign == "positive") else "refuted"


def hypothesis_status(
    *, evidence: dict | None, expected_sign: str, lags_tried: int, experiment_verdict: str | None
) -> tuple[str, str]:
    """(status, source): source is experiment | correlation | none."""
    if experiment_verdict:
        return experiment_verdict, "experiment"
    status = correlation_status(evidence, expected_sign=expected_sign, lags_tried=lags_tried)
    return status, "none" if status == "proposed" else "correlation"


def expected_effect(*, expected_sign: str, cause_direction: str) -> str:
    """The sign an experiment's effect should have: the treatment improves the cause (raises a
    higher-is-better cause, lowers a lower-is-better one), and the effect follows by the
    hypothesis's sign."""
    flips = cause_direction == "lower_is_better"
    positive = (expected_sign == "positive") != flips
    return "positive" if positive else "negative"


def differenced_disagrees(levels: dict | None, differences: dict | None) -> bool:
    """Whether levels and first differences tell different stories: a different sign of r at
    the best lag, or only one of them significant at the 5 % level after Bonferroni."""
    if not levels or not differences or levels.get("r") is None or differences.get("r") is None:
        return False
    if (levels["r"] > 0) != (differences["r"] > 0):
        return True
    lags = len(levels.get("lags") or []) or 1
    return (adjusted_p(levels["p_value"], lags) < ALPHA) != (
        adjusted_p(differences["p_value"], lags) < ALPHA
    )
