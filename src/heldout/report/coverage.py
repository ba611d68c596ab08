"""The report's part on conformal intervals: how often the model's 90% intervals (regression) or
prediction sets (classification), calibrated on validation rows, held the true value of the test
rows at the one look (:mod:`heldout.conformal.scores`; the numbers are under ``conformal`` in the
look's metrics)."""

from __future__ import annotations

import html


def rows(test: dict) -> list[dict]:
    """One row: the level, the coverage measured on the test rows with its 95% interval, the mean
    width (set size), and the rows behind them; none when the model had no calibration. Several
    targets: one row per target, each target's intervals in its units."""
    each = {
        name: one["conformal"]
        for name, one in (test.get("targets") or {}).items()
        if one.get("conformal")
    }
    if each:
        return [{"target": name, **_row(c)} for name, c in each.items()]
    return [_row(test["conformal"])] if test.get("conformal") else []


def _row(c: dict) -> dict:
    size = (
        ("mean width", c.get("mean_width"))
        if "mean_width" in c
        else ("mean set size", c.get("mean_set_size"))
    )
    return {
        "level": c["level"],
        "coverage on test rows": c["coverage"],
        "95% interval": c["interval_95"],
        size[0]: size[1],
        "test rows": c["rows"],
        "calibration rows": c["calibration"].get("rows"),
    }


def section(test: dict, table) -> str:
    """The HTML section (``table`` renders rows, escaping them), or "" without a calibration."""
    shown = rows(test)
    if not shown:
        return ""
    c = test.get("conformal") or next(
        one["conformal"] for one in test["targets"].values() if one.get("conformal")
    )
    what = "intervals" if "mean_width" in c else "prediction sets"
    scored_by = (
        "the selected configuration trained on training rows alone, since the bundled model was "
        "refit on training + validation rows"
        if c["calibration"].get("refit")
        else "the model itself"
    )
    caption = (
        f"Split-conformal {what} at level {c['level']:g}, calibrated on the validation rows "
        f"(score: {c['score']}; scored by {scored_by}). The coverage is the share of test rows "
        f"whose {what[:-1]} holds the true value, measured once, at this look, with its 95% "
        f"Clopper–Pearson interval; it should be near {c['level']:g}."
    )
    return f"<h2>Conformal {what} on the test rows</h2><p>{html.escape(caption)}</p>" + table(shown)
