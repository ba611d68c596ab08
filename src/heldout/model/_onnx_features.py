"""The preprocessing (:class:`~heldout.data.features.Features`) as ONNX nodes, column by column.

Each column is one graph input, and each treatment repeats in the graph, in double precision,
what its module computes with numpy: the same fill values, means, scales, categories,
vocabulary, idf weights and SVD components, in the same order. What each input holds
(:data:`INPUTS`) is what :func:`heldout.model.portable.onnx_inputs` computes from a table.
"""

from __future__ import annotations

import numpy as np

from ..data import calendar, categories, text
from ..data.features import treatment_of
from ._onnx_graph import Graph

# treatment -> (ONNX element type, what the input holds, per row)
INPUTS = {
    "number": (
        "DOUBLE",
        "the number (booleans as 0/1; dates of bundles written before the calendar treatment as "
        "seconds since 1970 UTC); NaN where missing",
    ),
    "one_hot": ("STRING", "the value as text (str(value)); '<missing>' where missing"),
    "calendar": (
        "DOUBLE",
        "wall-clock seconds since 1970-01-01 00:00 of the date and time as written; NaN where "
        "missing",
    ),
    "text": (
        "STRING",
        "the value's character 3- and 4-grams (heldout.data.text.ngrams: lowercased, each word "
        "padded with a space), padded with '' to the row of most n-grams; the single token "
        "'<missing>' where missing",
    ),
}


def column_block(g: Graph, col: dict, value: str) -> str:
    """The column's block of model inputs, double ``[n, width]``, from its graph input ``value``."""
    return {"number": _number, "one_hot": _one_hot, "calendar": _calendar, "text": _text}[
        treatment_of(col)
    ](g, col, value)


def _filled(g: Graph, value: str, fill: float) -> tuple[str, str]:
    missing = g.op("IsNaN", value)
    return g.op("Where", missing, g.const(fill), value), missing


def _with_indicator(g: Graph, col: dict, blocks: list[str], missing: str) -> str:
    if col.get("indicator"):
        blocks = [*blocks, g.cast(missing, "DOUBLE")]
    return blocks[0] if len(blocks) == 1 else g.op("Concat", *blocks, axis=1)


def _number(g: Graph, col: dict, value: str) -> str:
    filled, missing = _filled(g, value, col["fill"])
    return _with_indicator(g, col, [g.affine(filled, col["mean"], col["scale"])], missing)


def _one_hot(g: Graph, col: dict, value: str) -> str:
    kept = categories.known(col)
    code = g.op(
        "LabelEncoder",
        value,
        domain="ai.onnx.ml",
        keys_strings=list(kept),
        values_int64s=list(range(len(kept))),
        default_int64=-1,
    )
    hot = g.cast(g.op("Equal", code, g.const([list(range(len(kept)))], np.int64)), "DOUBLE")
    if len(kept) < len(col["categories"]):  # the rest share <infrequent>
        hot = g.op(
            "Concat", hot, g.cast(g.op("Less", code, g.const(0, np.int64)), "DOUBLE"), axis=1
        )
    return hot


def _calendar(g: Graph, col: dict, value: str) -> str:
    seconds, missing = _filled(g, value, col["fill"])
    days = g.floor_div(seconds, calendar.DAY)
    of_day = g.op("Sub", seconds, g.linear(days, calendar.DAY))
    year, month, day = _civil(g, days)
    shifted = g.linear(days, 1.0, 3.0)  # 1970-01-01 was a Thursday; Monday is 0
    weekday = g.op("Sub", shifted, g.linear(g.floor_div(shifted, 7.0), 7.0))
    month_start = g.op(
        "Gather", g.const(calendar.MONTH_STARTS), g.cast(g.linear(month, 1.0, -1.0), "INT64")
    )
    after_february = g.cast(g.op("Greater", month, g.const(2.0)), "DOUBLE")
    yearday = g.op(
        "Add", g.op("Add", month_start, day), g.op("Mul", _leap(g, year), after_february)
    )
    every = {
        "elapsed": seconds,
        "year": year,
        "month": month,
        "weekday": weekday,
        "day": day,
        "hour": g.floor_div(of_day, 3600.0),
    }
    position = {
        "month": g.linear(month, 1.0, -1.0),
        "weekday": weekday,
        "hour": g.linear(of_day, 1.0 / 3600.0),
        "yearday": g.linear(yearday, 1.0, -1.0),
    }
    blocks = [g.affine(every[part], mean, scale) for part, mean, scale in col["standardise"]]
    for name in calendar.periodic(col):
        cycle, function = name.rsplit("_", 1)
        angle = g.linear(position[cycle], 2.0 * np.pi / dict(calendar.CYCLES)[cycle])
        blocks.append(g.op("Sin" if function == "sin" else "Cos", angle))
    return _with_indicator(g, col, blocks, missing)


def _civil(g: Graph, days: str) -> tuple[str, str, str]:
    """:func:`heldout.data.calendar.civil`, node by node."""
    z = g.linear(days, 1.0, 719468.0)
    era = g.floor_div(z, 146097.0)
    doe = g.op("Sub", z, g.linear(era, 146097.0))
    yoe = g.floor_div(
        g.op(
            "Sub",
            g.op("Add", g.op("Sub", doe, g.floor_div(doe, 1460.0)), g.floor_div(doe, 36524.0)),
            g.floor_div(doe, 146096.0),
        ),
        365.0,
    )
    doy = g.op(
        "Sub",
        doe,
        g.op(
            "Sub", g.op("Add", g.linear(yoe, 365.0), g.floor_div(yoe, 4.0)), g.floor_div(yoe, 100.0)
        ),
    )
    mp = g.floor_div(g.linear(doy, 5.0, 2.0), 153.0)
    day = g.linear(g.op("Sub", doy, g.floor_div(g.linear(mp, 153.0, 2.0), 5.0)), 1.0, 1.0)
    late = g.cast(g.op("GreaterOrEqual", mp, g.const(10.0)), "DOUBLE")
    month = g.op("Sub", g.linear(mp, 1.0, 3.0), g.linear(late, 12.0))
    early = g.cast(g.op("LessOrEqual", month, g.const(2.0)), "DOUBLE")
    year = g.op("Add", g.op("Add", yoe, g.linear(era, 400.0)), early)
    return year, month, day


def _leap(g: Graph, year: str) -> str:
    def divides(k: float) -> str:
        return g.op("Equal", g.op("Sub", year, g.linear(g.floor_div(year, k), k)), g.const(0.0))

    return g.cast(
        g.op("Or", g.op("And", divides(4.0), g.op("Not", divides(100.0))), divides(400.0)), "DOUBLE"
    )


def _text(g: Graph, col: dict, value: str) -> str:
    vocabulary = col["vocabulary"]
    counts = g.op(
        "TfIdfVectorizer",
        value,
        mode="TFIDF",
        min_gram_length=1,
        max_gram_length=1,
        max_skip_count=0,
        ngram_counts=[0],
        ngram_indexes=list(range(len(vocabulary))),
        pool_strings=list(vocabulary),
        weights=[float(w) for w in col["idf"]],
    )
    weighted = g.cast(counts, "DOUBLE")
    norm = g.op("Sqrt", g.op("ReduceSumSquare", weighted, axes=[1], keepdims=1))
    norm = g.op(
        "Where", g.op("Greater", norm, g.const(0.0)), norm, g.const(1.0)
    )  # an empty row stays 0
    projected = g.op(
        "MatMul", g.op("Div", weighted, norm), g.const(np.asarray(col["components"]).T)
    )
    block = g.op("Div", g.op("Sub", projected, g.const([col["mean"]])), g.const(col["scale"]))
    if not col.get("indicator"):
        return block
    flagged = g.op(
        "LabelEncoder",
        value,
        domain="ai.onnx.ml",
        keys_strings=[text.MISSING_TOKEN],
        values_int64s=[1],
        default_int64=0,
    )
    missing = g.cast(g.op("ReduceMax", flagged, axes=[1], keepdims=1), "DOUBLE")
    return g.op("Concat", block, missing, axis=1)
