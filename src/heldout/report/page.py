"""``report(run_dir)``: ``report.json`` and one self-contained ``report.html`` for a run directory.

The report gathers what the run directory holds — the data and split, each column's treatment (its
kind, given or read from its values, and what the preprocessing made of it), the leakage findings,
the training and validation curves (every member, best epoch marked), the learning-rate sweep, the
candidates compared and the leaderboard of a search (diverged members marked) or the members of a
population, the descent (``descent.json``, :mod:`heldout.workflow.descent`), the test metrics with
their 95% intervals (beside them, the same on the test rows without a twin in training or
validation) and the coverage of the conformal intervals or sets (:mod:`heldout.report.coverage`),
the comparison with baselines on the same rows (difference and paired interval), the generalisation
gap, residuals (of each target, for several) or confusion matrix and ROC on the test rows, a
classifier's calibration and the permutation importance of each column
(:mod:`heldout.report.inspection`), the ledger lines of its test set, and a manifest — and writes it
twice: as JSON, and as HTML with the plots embedded as PNG data (no network, no scripts; figures in
:mod:`heldout.report._plots`). Every string from the user's data is escaped.
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path

import pandas as pd
from rich.console import Group

from .._util import display
from .._util.versions import versions
from ..data.features import Features
from ..ledger.ledger import Ledger
from ..model import bundle
from ..rundir.artifacts import Artifacts
from ..task import get as get_task
from ..task import metrics
from . import _plots as plots
from . import coverage
from . import inspection_view as inspection


class Page(dict):
    """The report's content (a dict, as in ``report.json``) that renders itself in a notebook
    (the whole page) and in a terminal (its tables: split, selection, test metrics, findings)."""

    def __init__(self, content: dict, page: str):
        super().__init__(content)
        self.html = page

    def __repr__(self) -> str:
        return f"Page(report of {self['run_dir']}: {len([k for k, v in self.items() if v])} parts)"

    def _repr_html_(self) -> str:
        return self.html

    def __rich__(self):
        parts = [display.pairs(f"heldout report: {self['run_dir']}", self["split"])]
        if self["selected"]:
            parts.append(display.pairs("Selected on validation", self["selected"]))
        if self["members"]:
            parts.append(display.frame("Members", pd.DataFrame(self["members"])))
        if self["test"]:
            for title, rows in (
                ("Test set, evaluated once", metric_rows(self["test"])),
                ("Compared with baselines on the same test rows", versus_rows(self["test"])),
                ("Conformal coverage on the test rows", coverage.rows(self["test"])),
            ):
                if rows:
                    parts.append(
                        display.table(title, list(rows[0]), [list(row.values()) for row in rows])
                    )
        parts += inspection.terminal(self)
        findings = [f for f in self["leakage"] if f.get("severity") != "info"]
        if findings:
            parts.append(
                display.table(
                    "Leakage findings",
                    ["severity", "kind", "message"],
                    [[f["severity"], f["kind"], f["message"]] for f in findings],
                )
            )
        return Group(*parts)

    def __str__(self) -> str:
        return display.text(self.__rich__())


def report(run_dir) -> Page:
    """Write ``report.json`` and ``report.html`` into ``run_dir``; return the report (a dict of
    its content that renders as the HTML page in Jupyter)."""
    artifacts = Artifacts.open(run_dir)
    content = _gather(artifacts)
    page = _html(content, artifacts.path)
    artifacts.write_report(content, page)
    return Page(content, page)


def _gather(artifacts: Artifacts) -> dict:
    config = artifacts.config()
    summary = artifacts.summary() or {}
    evaluation = artifacts.evaluation() or {}
    split = summary.get("split") or config.split
    seal = split.get("test_fingerprint")
    at = Ledger(
        config.ledger
    )  # the ledger the run recorded (None, from older folders: the default one)
    ledger = [e for e in at.entries() if e["seal"] == seal] if seal else []
    history, board, members = artifacts.history(), artifacts.leaderboard(), artifacts.members()
    return {
        "run_dir": str(artifacts.path),
        "data": config.data.to_dict(),
        "split": split,
        "columns": _columns(artifacts.model_path),
        "leakage": (artifacts.leakage() or {}).get("findings", []),
        "leakage_stream": (artifacts.leakage() or {}).get(
            "stream"
        ),  # a streamed table: samples and exact counts
        "selected": {
            k: summary.get(k)
            for k in (
                "candidate",
                "hyperparameters",
                "selection_metric",
                "validation",
                "epochs",
                "trials",
                "stopped_by",
                "pruned",
                "diverged",
            )
            if k in summary
        },
        "ensemble": summary.get("ensemble"),
        "history": [] if history is None else history.to_dict(orient="records"),
        "leaderboard": [] if board is None else board.to_dict(orient="records"),
        "members": [] if members is None else members.to_dict(orient="records"),
        "test": summary.get("test") or evaluation.get("metrics") or {},
        "diagnostics": evaluation.get("diagnostics") or {},
        "descent": artifacts.descent(),
        "inspection": artifacts.inspection() or {},  # calibration and importance on validation rows
        "ledger": [
            {k: e[k] for k in ("seq", "time", "kind")} | {"model": e["payload"].get("model")}
            for e in ledger
        ],
        "ledger_folder": at.location,
        "manifest": {
            "seed": config.data.seed,
            "versions": versions(),
            "command": " ".join(["heldout", *sys.argv[1:]]) if "heldout" in sys.argv[0] else None,
        },
    }


def _columns(model_path: Path) -> list[dict]:
    """Each feature column's treatment, from the bundle's preprocessing (none before a model
    exists)."""
    if not model_path.is_file():
        return []
    _, metadata = bundle.read(model_path)
    return Features.from_dict(json.loads(metadata["features"])).describe()


# -- HTML -----------------------------------------------------------------------------------


def _ensemble(ensemble: dict, metric: str | None) -> str:
    """The ensemble the run looked with: its members and weights, chosen on validation rows."""
    said = (
        f"Weights chosen on the validation rows by greedy selection: validation {metric} "
        f"{display.fmt(ensemble['validation'])}, against {display.fmt(ensemble['single'])} for "
        "the selected trial alone."
    )
    members = ensemble["members"]
    shown = ["trial", "candidate", "weight"]
    return f"<h2>Ensemble</h2><p>{html.escape(said)}</p>" + _table(members, shown, len(members))


def _table(rows: list[dict], columns: list[str] | None = None, limit: int = 30) -> str:
    if not rows:
        return "<p>none</p>"
    columns = columns or list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(display.fmt(r.get(c)))}</td>" for c in columns)
        + "</tr>"
        for r in rows[:limit]
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def metric_rows(test: dict) -> list[dict]:
    """The test metrics, one row each with its 95% interval (None where there is none), and beside
    them the same on the test rows without a twin, when some rows have one. Several targets: the
    metrics of all together (standardised: :mod:`heldout.model.outputs`), then each target's."""
    alone, each = test.get("without_twins"), test.get("targets") or {}
    rows = _metric_rows(test, alone, alone, " (all targets)" if each else "")
    for name, one in each.items():
        rows += _metric_rows(
            one,
            alone,
            None if alone is None else (alone.get("targets") or {}).get(name, {}),
            f" ({name})",
        )
    return rows


def _metric_rows(test: dict, alone: dict | None, theirs: dict | None, which: str) -> list[dict]:
    intervals, rows = test.get("interval_95", {}), []
    for k, v in test.items():
        if isinstance(v, (int, float)):
            row = {"metric": k + which, "test": v, "95% interval": intervals.get(k)}
            if alone is not None:
                row[f"without twins ({alone['rows']} of {alone['rows'] + alone['twins']} rows)"] = (
                    theirs.get(k)
                )
                row["95% interval, without twins"] = theirs.get("interval_95", {}).get(k)
            rows.append(row)
    return rows


def versus_rows(test: dict) -> list[dict]:
    """One row per baseline and metric: the baseline's value, the difference model minus baseline
    on the same rows, its paired 95% interval, and whether the interval says the model is better."""
    each = test.get("targets") or {}  # several targets: all together, then each target
    parts = [(" (all targets)" if each else "", test.get("versus", {}))]
    parts += [(f" ({target})", one.get("versus", {})) for target, one in each.items()]
    return [
        {
            "baseline": name,
            "metric": metric + which,
            "its value": c["value"],
            "model - baseline": c["difference"],
            "95% interval": c["interval_95"],
            "model is": c["verdict"],
        }
        for which, versus in parts
        for name, compared in versus.items()
        for metric, c in compared.items()
    ]


def _versus_caption(task: str | None, names) -> str:
    said = {
        "baseline": f"predicts {get_task(task).baseline_name}, learned from the training rows"
        if task
        else "the task's baseline, learned from the training rows",
        "best linear": "the best linear candidate of the search, trained as the selected one was",
    }
    return (
        "<p>"
        + "; ".join(
            html.escape(f"{n}: {said.get(n, 'a model given to evaluate()')}") for n in names
        )
        + (
            ". A difference whose interval excludes 0 says which is better; one that includes 0 "
            "does not tell.</p>"
        )
    )


def _descent_caption(d: dict) -> str:
    where = (
        "the model's two parameters"
        if d["kind"] == "parameters"
        else "the plane through the start, the midpoint and the end of the chosen rate's path "
        "(other points are projected onto it)"
    )
    return html.escape(
        f"{d['model']}+{d['loss']} with {d['optimizer']}, from one start, at {len(d['paths'])} "
        f"learning rates for up to {d['epochs']} epochs on {d['rows']} training rows. Contours: "
        f"the training loss over {where}, on {d['grid_rows']} training rows. A rate too small "
        "crawls; one too large overshoots or diverges.",
        quote=False,
    ).join(("<p>", "</p>"))


def _html(content: dict, run_dir: Path) -> str:
    e = html.escape
    parts = [f"<h1>heldout report: {e(str(content['split'].get('dataset', run_dir.name)))}</h1>"]
    parts.append("<h2>Data and split</h2>" + _table([content["split"]]))
    if content.get("columns"):
        parts.append(
            "<h2>Columns and their treatment</h2><p>Learned from the training rows; a kind is "
            "read from the column's values unless given (--column-kind NAME=KIND).</p>"
            + _table(content["columns"], limit=500)
        )
    parts.append(
        "<h2>Leakage check</h2>"
        + _table(content["leakage"], ["severity", "kind", "category", "count", "message"])
    )
    streamed = content.get("leakage_stream")
    if streamed:
        sample, rows = streamed["sample_rows"], streamed["rows"]
        parts.append(
            f"<p>A streamed table: the checks above read seeded samples of {sample['train']:,} of "
            f"{rows['train']:,} training, {sample['validation']:,} of {rows['validation']:,} "
            f"validation and {sample['test']:,} of {rows['test']:,} test rows. Over every row's "
            f"fingerprint, {streamed['test_rows_with_features_in_training_or_validation']:,} test "
            "rows have features that appear among training or validation rows, and "
            f"{streamed['test_rows_identical_to_training_or_validation_rows']:,} are identical to "
            "one.</p>"
        )
    if content["selected"]:
        parts.append(
            "<h2>Selected on validation</h2>"
            + _table(
                [
                    {
                        k: json.dumps(v) if isinstance(v, dict) else v
                        for k, v in content["selected"].items()
                    }
                ]
            )
        )
    history = pd.DataFrame(content["history"])
    if len(history):
        parts.append("<h2>Training and validation curves</h2>" + plots.curves(history))
    board = pd.DataFrame(content["leaderboard"])
    metric = content["selected"].get("selection_metric")
    if len(board):
        if "lr" in board and metric in board:
            parts.append("<h2>Learning-rate sweep</h2>" + plots.sweep(board, metric))
        if "candidate" in board and metric in board:
            parts.append(
                "<h2>Candidates compared on validation</h2>"
                + plots.candidates(board, metric, metrics.HIGHER_IS_BETTER.get(metric, False))
            )
        shown = [
            c
            for c in (
                "trial",
                "candidate",
                metric,
                "status",
                "best_epoch",
                "lr",
                "batch_size",
                "optimizer",
            )
            if c in board.columns
        ]
        parts.append("<h2>Leaderboard</h2>" + _table(board.to_dict(orient="records"), shown))
    if content.get("ensemble"):
        parts.append(_ensemble(content["ensemble"], metric))
    members = pd.DataFrame(content.get("members", []))
    if len(
        members
    ):  # a population trained by `heldout train`: every member, and its sweep when rates vary
        member_metric = next(
            (c for c in members.columns if c.startswith("val_") and c != "val_loss"), "val_loss"
        )
        if "lr" in members and members["lr"].nunique() > 1:
            parts.append("<h2>Learning-rate sweep</h2>" + plots.sweep(members, member_metric))
        parts.append("<h2>Members</h2>" + _table(members.to_dict(orient="records"), limit=100))
    if content.get("descent"):
        parts.append(
            "<h2>The descent</h2>"
            + _descent_caption(content["descent"])
            + plots.descent(content["descent"])
        )
    test = content["test"]
    if test:
        overall = (
            f"<p>all targets: {html.escape(test['overall'])}</p>" if test.get("overall") else ""
        )
        parts.append(
            "<h2>Test set, evaluated once</h2>"
            + overall
            + _table(metric_rows(test))
            + coverage.section(test, _table)
        )
        if test.get("versus"):
            parts.append(
                "<h2>Compared with baselines</h2>"
                + _versus_caption(content["split"].get("task"), test["versus"])
                + _table(versus_rows(test))
            )
        if len(history) and "loss" in test:
            last = history.groupby("member").last().iloc[0]
            parts.append(
                "<h2>Generalisation gap (loss)</h2>"
                + _table(
                    [
                        {
                            "training": last["train_loss"],
                            "validation": last["val_loss"],
                            "test": test["loss"],
                        }
                    ]
                )
            )
    diagnostics = content.get("diagnostics") or {}
    if "residual" in diagnostics:
        parts.append("<h2>Residuals on the test rows</h2>" + plots.residuals(diagnostics))
    elif "confusion" in diagnostics:
        parts.append(
            "<h2>Confusion matrix and ROC on the test rows</h2>" + plots.classification(diagnostics)
        )
    for name, drawn in (
        diagnostics.get("targets") or {}
    ).items():  # several targets: each one's residuals
        parts.append(
            f"<h2>Residuals of {html.escape(str(name))} on the test rows</h2>"
            + plots.residuals(drawn)
        )
    parts += inspection.sections(content, _table)
    parts.append(
        "<h2>Ledger lines for this test set</h2>"
        f"<p>ledger: {html.escape(str(content.get('ledger_folder')))}</p>"
        + _table(content["ledger"])
    )
    parts.append(
        "<h2>Reproducibility</h2>"
        + _table(
            [
                {
                    "seed": content["manifest"]["seed"],
                    "command": content["manifest"]["command"],
                    **content["manifest"]["versions"],
                }
            ]
        )
    )
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;"
        "font-size:13px;text-align:left}img{max-width:100%}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>heldout report</title>"
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>"
    )
