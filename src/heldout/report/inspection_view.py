"""The report's view of ``inspection.json`` (:mod:`heldout.workflow.inspection` computes it): how
well a classifier's probabilities are calibrated on validation rows, beside the test rows' from
the one look, and how much each input column matters."""

from __future__ import annotations

import html

from .._util import display
from ..task import calibration_error as calibration
from . import _plots as plots

# -- the report's sections ----------------------------------------------------------------


def calibration_rows(content: dict) -> list[dict]:
    """One row per set of rows whose reliability is known: validation (inspected), test (the
    look)."""
    return [
        {"on": f"{name} rows", "rows": r["rows"], "ECE": r["ece"], "bins": len(r["bins"]["count"])}
        for name, r in _curves(content).items()
    ]


def importance_rows(inspected: dict, limit: int | None = None) -> list[dict]:
    metric = inspected.get("metric")
    return [
        {"column": r["column"], f"worsening of {metric}": r["importance"], "± std": r["std"]}
        for r in inspected.get("importance", [])[:limit]
    ]


def sections(content: dict, table) -> list[str]:
    """The HTML sections: calibration (a classifier) and permutation importance, each string from
    the data escaped; ``table(rows, limit=...)`` draws a table as the rest of the page does."""
    inspected, parts, e = content.get("inspection") or {}, [], html.escape
    curves = _curves(content)
    if curves:
        second = _second_class(content)
        said = (
            f"the probability of class {second} against the share of rows of that class"
            if second
            else "the top-label confidence (the largest probability) against the share of rows "
            "it gets right"
        )
        parts.append(
            "<h2>Calibration</h2>"
            + e(
                f"Reliability diagram: {said}, in {calibration.BINS} bins of equal mass; on the "
                "diagonal, a calibrated model. ECE: the expected calibration error, the rows' "
                f"average gap between the two. {_where(inspected)} Test figures: from the one "
                "look at the test rows, by the final model.",
                quote=False,
            ).join(("<p>", "</p>"))
            + plots.reliability(curves, second)
            + table(calibration_rows(content))
        )
    if inspected.get("importance"):
        parts.append(
            "<h2>Permutation importance on validation rows</h2>"
            + e(
                f"How much worse validation {inspected['metric']} gets when one column's values "
                "are shuffled among the rows: mean ± standard deviation over "
                f"{inspected['repeats']} shuffles (seed {inspected['seed']}). Each column as "
                "given counts as one feature (a date or a text column too). Near 0: the model "
                "does not use the column; correlated columns share their importance. "
                "" + _where(inspected),
                quote=False,
            ).join(("<p>", "</p>"))
            + plots.importance(inspected["importance"], inspected["metric"])
            + table(importance_rows(inspected), limit=500)
        )
    elif inspected.get("rows") and "repeats" not in inspected:
        parts.append(
            "<h2>Permutation importance on validation rows</h2><p>Left out: its estimate (one "
            "scoring of the rows per column and shuffle) did not fit the time budget.</p>"
        )
    return parts


def terminal(content: dict) -> list:
    """The same, concise, for a terminal: each set's ECE, and the ten most important columns."""
    parts, inspected = [], content.get("inspection") or {}
    rows = calibration_rows(content)
    if rows:
        parts.append(
            display.table("Calibration (ECE)", list(rows[0]), [list(r.values()) for r in rows])
        )
    important = importance_rows(inspected, limit=10)
    if important:
        parts.append(
            display.table(
                f"Permutation importance on {inspected['rows']} validation rows (top 10)",
                list(important[0]),
                [list(r.values()) for r in important],
            )
        )
    return parts


def _curves(content: dict) -> dict:
    curves = {
        "validation": (content.get("inspection") or {}).get("reliability"),
        "test": (content.get("diagnostics") or {}).get("reliability"),
    }
    return {name: r for name, r in curves.items() if r and r.get("rows")}


def _second_class(content: dict) -> str | None:
    """A binary model's second class, whose probability its reliability reads (None: multiclass)."""
    classes = (content.get("diagnostics") or {}).get("classes") or (
        content.get("inspection") or {}
    ).get("classes")
    return repr(classes[1]) if classes and len(classes) == 2 else None


def _where(inspected: dict) -> str:
    if not inspected:
        return ""
    drawn = (
        f"all {inspected['rows']} validation rows"
        if inspected["rows"] == inspected["of"]
        else f"{inspected['rows']} of the {inspected['of']} validation rows, "
        f"drawn with seed {inspected['seed']} (at most {inspected['at_most']:,})"
    )
    return f"Validation figures: on {drawn}" + (
        ", by a model refit on them too (so optimistic)."
        if inspected.get("seen")
        else ", by a model trained on the training rows alone."
    )
