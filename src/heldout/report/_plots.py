"""The report's figures, each returned as an ``<img>`` tag holding PNG data (no files, no network).

Figures are made as ``matplotlib.figure.Figure`` objects, never through pyplot, so drawing them
chooses no backend and leaves the user's matplotlib state as it was."""

from __future__ import annotations

import base64
import functools
import io

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogFormatter, LogLocator, NullFormatter

FAILED = ["diverged", "pruned"]  # trials and members with no validation score to plot


def _as_text(plot):
    """Draw ``plot`` with user text (class labels, column names) as text: a label such as
    ``$\\foo$`` is not read as mathtext, whose parser would stop the report."""

    @functools.wraps(plot)
    def drawn(*args, **kwargs):
        with matplotlib.rc_context({"text.parse_math": False}):
            return plot(*args, **kwargs)

    return drawn


def _figure(size, *grid, **options):
    figure = Figure(figsize=size)
    return figure, figure.subplots(*grid, **options)


def _logarithmic(ax, which: str, label_minor: bool) -> None:
    """A log scale on axis ``which`` ("x" or "y"), with minor ticks at 2 and 5 times each power of
    ten (matplotlib's default, every integer multiple, makes each tick an artist with its label:
    a quarter of the report's drawing time), labelled as plain numbers (the default's 10^k is
    mathtext, which user text turns off: :func:`_as_text`)."""
    axis = getattr(ax, f"{which}axis")
    getattr(ax, f"set_{which}scale")("log")
    axis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    axis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    axis.set_minor_formatter(
        FuncFormatter(lambda value, _: f"{value:g}") if label_minor else NullFormatter()
    )


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="plot" src="data:image/png;base64,{encoded}">'


@_as_text
def curves(history: pd.DataFrame) -> str:
    figure, axes = _figure((10, 3.5), 1, 2, sharey=True)
    for member, rows in history.groupby("member"):
        best = rows.loc[rows["val_loss"].idxmin()] if rows["val_loss"].notna().any() else None
        for ax, column in zip(axes, ("train_loss", "val_loss")):
            ax.plot(rows["epoch"], rows[column], lw=1, alpha=0.8)
            if best is not None and column == "val_loss":
                ax.plot([best["epoch"]], [best["val_loss"]], "k.", ms=6)
    for ax, title in zip(axes, ("training loss", "validation loss (dot: best epoch)")):
        ax.set_title(title)
        ax.set_xlabel("epoch")
        _logarithmic(ax, "y", label_minor=True)  # a loss spans a decade or two
    return _png(figure)


@_as_text
def sweep(board: pd.DataFrame, metric: str) -> str:
    """Validation ``metric`` against the learning rate, one point per trial or member; diverged
    and pruned ones drawn at the top as red marks."""
    figure, ax = _figure((6, 3.5))
    failed = board["status"].isin(FAILED)
    done = board[~failed]
    ax.scatter(done["lr"], done[metric], s=18, label="trained")
    bad = board[failed]
    if len(bad):
        top = done[metric].max() if len(done) else 1.0
        for status, marker in (("diverged", "x"), ("pruned", "v")):
            rows = bad[bad["status"] == status]
            if len(rows):
                ax.scatter(rows["lr"], [top] * len(rows), marker=marker, color="red", label=status)
    _logarithmic(ax, "x", label_minor=False)  # rates span several decades
    ax.set_xlabel("learning rate")
    ax.set_ylabel(f"validation {metric}")
    ax.legend()
    return _png(figure)


@_as_text
def candidates(board: pd.DataFrame, metric: str, higher_is_better: bool) -> str:
    """Each candidate's trials on the selection metric (one row of dots per candidate, its best
    ringed); trials that were pruned or diverged are counted in the row's label."""
    names = list(dict.fromkeys(board["candidate"]))
    figure, ax = _figure((7, 0.6 * len(names) + 1.2))
    for row, name in enumerate(names):
        trials = board[board["candidate"] == name]
        done = trials[~trials["status"].isin(FAILED)][metric].dropna()
        ax.scatter(done, [row] * len(done), s=16, alpha=0.7)
        if len(done):
            best = done.max() if higher_is_better else done.min()
            ax.scatter([best], [row], s=90, facecolors="none", edgecolors="black")
        counts = "".join(
            f", {n} {status}"
            for status in ("pruned", "diverged")
            if (n := int((trials["status"] == status).sum()))
        )
        names[row] = f"{name} ({len(trials)} trials{counts})"
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_ylim(len(names) - 0.4, -0.6)  # the leaderboard's order, top down
    ax.set_xlabel(
        f"validation {metric} ({'higher' if higher_is_better else 'lower'} is better; ring: best)"
    )
    return _png(figure)


@_as_text
def residuals(d: dict) -> str:
    figure, ax = _figure((6, 3.5))
    ax.scatter(d["predicted"], d["residual"], s=10)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual - predicted")
    return _png(figure)


@_as_text
def classification(d: dict) -> str:
    figure, (left, right) = _figure((10, 4), 1, 2)
    matrix = d["confusion"]
    left.imshow(matrix, cmap="Blues")
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            left.text(j, i, str(count), ha="center", va="center", fontsize=8)
    ticks = range(len(d["classes"]))
    left.set_xticks(ticks, d["classes"], rotation=45, fontsize=8)
    left.set_yticks(ticks, d["classes"], fontsize=8)
    left.set_xlabel("predicted")
    left.set_ylabel("actual")
    for label, curve in d["roc"].items():
        right.plot(curve["fpr"], curve["tpr"], lw=1, label=label)
    right.plot([0, 1], [0, 1], "k:", lw=0.8)
    right.set_xlabel("false positive rate")
    right.set_ylabel("true positive rate")
    if 0 < len(d["roc"]) <= 10:
        right.legend(fontsize=7)
    return _png(figure)


@_as_text
def descent(d: dict) -> str:
    """Loss contours over the slice, and each learning rate's path across it (start: star; end:
    dot, or a cross where the path diverged; a path leaving the frame keeps its direction)."""
    figure, ax = _figure((7, 5.2))
    a, b = np.array(d["grid"]["a"]), np.array(d["grid"]["b"])
    loss = np.array(
        [[np.nan if v is None else v for v in row] for row in d["grid"]["loss"]], dtype=float
    )
    finite = loss[np.isfinite(loss) & (loss > 0)]
    if finite.size:
        # logarithmic levels from the lowest value to a high quantile: the valley and its walls
        low, high = finite.min(), np.quantile(finite, 0.98)
        levels = np.geomspace(low, max(high, low * 1.01), 24)
        shown = ax.contourf(
            a, b, np.clip(loss, low, high), levels=levels, norm=LogNorm(), cmap="viridis_r"
        )
        ax.contour(a, b, loss, levels=levels[::3], colors="white", linewidths=0.4, alpha=0.6)
        figure.colorbar(shown, ax=ax, label=f"training {d['loss']} (log scale)", format="%.3g")
    colours = matplotlib.colormaps["autumn"](np.linspace(0, 0.8, len(d["paths"])))
    order = [i for i in range(len(d["paths"])) if i != d["chosen"]] + [
        d["chosen"]
    ]  # the chosen path on top
    for path, colour in ((d["paths"][i], colours[i]) for i in order):
        xs = np.array([np.nan if v is None else v for v in path["a"]], dtype=float)
        ys = np.array([np.nan if v is None else v for v in path["b"]], dtype=float)
        chosen = path is d["paths"][d["chosen"]]
        mark = ", chosen" if chosen else ""
        label = f"lr {path['lr']:.3g} (×{path['factor']:g}{mark}): {path['status']}"
        if (
            d["kind"] == "plane" and (path["off_plane"] or 0) >= 0.25
        ):  # a projection: say how much it leaves out
            label += (
                f" (projected: up to {path['off_plane']:.0%} of its distance from θ₀ "
                "lies off the plane)"
            )
        ax.plot(
            xs,
            ys,
            "-o",
            color="black" if chosen else colour,
            lw=2 if chosen else 1.2,
            ms=2.5,
            label=label,
        )
        if len(xs):
            ax.plot(
                xs[-1:],
                ys[-1:],
                "x" if path["status"] == "diverged" else "o",
                color="black" if chosen else colour,
                ms=9,
                mew=2,
            )
    if d["paths"] and d["paths"][0]["a"]:
        ax.plot(
            d["paths"][0]["a"][:1],
            d["paths"][0]["b"][:1],
            "*",
            color="white",
            mec="black",
            ms=14,
            label="start θ₀",
        )
    ax.set_xlim(a[0], a[-1])
    ax.set_ylim(b[0], b[-1])
    ax.set_xlabel(d["axes"][0])
    ax.set_ylabel(d["axes"][1])
    ax.legend(
        fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.13), frameon=False
    )  # below: the paths stay in view
    return _png(figure)


@_as_text
def reliability(curves: dict[str, dict], second: str | None = None) -> str:
    """Observed frequency against mean confidence, one line per set of rows (``{name:
    reliability}``,
    :func:`heldout.task.calibration_error.reliability`), each bin a point; on the diagonal, a
    calibrated model. ``second``: a binary model's second class (its probability is read), else the
    top label."""
    figure, ax = _figure((5, 4.5))
    ax.plot([0, 1], [0, 1], "k:", lw=0.8, label="calibrated")
    for name, r in curves.items():
        ax.plot(
            r["bins"]["confidence"],
            r["bins"]["frequency"],
            "-o",
            ms=4,
            lw=1.2,
            label=f"{name}: ECE {r['ece']:.3f} ({r['rows']} rows)",
        )
    ax.set_xlabel(
        f"mean predicted probability of class {second}" if second else "mean top-label confidence"
    )
    ax.set_ylabel(
        f"observed share of class {second}" if second else "observed accuracy (top label right)"
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, loc="upper left")
    return _png(figure)


@_as_text
def importance(rows: list[dict], metric: str, limit: int = 30) -> str:
    """Permutation importance, one bar per column (its mean over the repeats, ± one standard
    deviation), the most important on top; the first ``limit`` columns."""
    shown = rows[:limit]
    figure, ax = _figure((7, 0.28 * len(shown) + 1.2))
    ax.barh(
        range(len(shown)),
        [r["importance"] for r in shown],
        xerr=[r["std"] for r in shown],
        color="tab:blue",
        alpha=0.8,
        error_kw={"lw": 0.8},
    )
    ax.set_yticks(range(len(shown)), [str(r["column"]) for r in shown], fontsize=8)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel(f"worsening of validation {metric} when the column is shuffled")
    return _png(figure)
