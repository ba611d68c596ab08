"""Test metrics of ``heldout run`` with default settings against scikit-learn's tuned references,
on the same split and the same preprocessing, for the bundled real datasets.

References: ``RidgeCV`` for regression; ``LogisticRegressionCV`` and ``GridSearchCV`` over
``MLPClassifier`` for classification. They are fitted on the training + validation rows (as
heldout's refit is), preprocessed by heldout's ``Features`` fitted on those rows, and scored
through the sealed test set's one gate (each look recorded in the ledger under the reference's
name). heldout's 95% interval is the one ``evaluate`` reports: exact (Clopper–Pearson) for
accuracy, a BCa bootstrap over the test rows for rmse. Main metric: rmse for regression,
accuracy for classification.

    python3 benchmarks/quality.py          # about 3 minutes on 2 cores
"""

from __future__ import annotations

import tempfile
import time
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier

from _common import finish, header, heldout
from heldout.nn import metrics
from heldout.nn.task import get as get_task
from heldout.workflow.procedures import run_procedure
from heldout.workflow.spec import DataSpec

DATASETS = ("diabetes", "breast_cancer", "wine", "digits")


def references(task):
    if not task.has_classes:
        return {"RidgeCV": RidgeCV(alphas=np.logspace(-3, 3, 13))}
    mlp = GridSearchCV(MLPClassifier(max_iter=300, random_state=0),
                       {"hidden_layer_sizes": [(32,), (64,), (128,)], "alpha": [1e-4, 1e-2],
                        "learning_rate_init": [1e-3, 1e-2]}, cv=3, n_jobs=2)
    return {"LogisticRegressionCV": LogisticRegressionCV(max_iter=5000), "GridSearchCV(MLPClassifier)": mlp}


def main() -> None:
    header("quality: heldout run (defaults) vs scikit-learn's tuned references, same split and preprocessing")
    results = {}
    for name in DATASETS:
        spec = DataSpec(dataset=name, seed=0)
        start = time.perf_counter()
        summary = run_procedure(spec, out=tempfile.mkdtemp(prefix=f"quality-{name}-"))
        seconds = time.perf_counter() - start
        task = get_task(summary["split"]["task"])
        main_metric = task.monitor   # rmse or accuracy
        ours, ci = summary["test"][main_metric], summary["test"]["interval_95"][main_metric]
        print(f"{name}: heldout {summary['candidate']} {main_metric} {ours:.4f} 95% [{ci[0]:.4f}, {ci[1]:.4f}] "
              f"in {seconds:.1f} s ({summary['trials']} trials)")

        split = spec.split()   # the same data, seed and strategy: the same split and the same sealed test set
        pooled = split.train.append(split.validation)
        features = heldout.Features().fit(pooled.features)
        X = features.transform(pooled.features)
        y = task.encode(pooled.target, pooled.classes).numpy()
        refs = {}
        for ref_name, estimator in references(task).items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # scikit-learn's convergence and deprecation notices
                estimator.fit(X, y)
            ref_seconds = time.perf_counter() - start

            def score(rows, estimator=estimator):
                Xt = features.transform(rows.features)
                yt = task.encode(rows.target, pooled.classes).numpy()
                if not task.has_classes:
                    return task.score(yt, estimator.predict(Xt))
                p = estimator.predict_proba(Xt)
                return task.score(yt, p[:, 1] if p.shape[1] == 2 else p)   # binary scores P(class 1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", heldout.HeldoutWarning)   # the reference's own, recorded look
                scores, _ = split.test.unseal(score, model=f"sklearn:{ref_name}", info={"benchmark": "quality"})
            refs[ref_name] = (scores[main_metric], ref_seconds)
            print(f"  {ref_name}: {main_metric} {scores[main_metric]:.4f} in {ref_seconds:.1f} s")
        higher = metrics.HIGHER_IS_BETTER[main_metric]
        best_ref = (max if higher else min)(refs.values(), key=lambda r: r[0])
        as_good = ours >= best_ref[0] if higher else ours <= best_ref[0]
        inside = ci[0] <= best_ref[0] <= ci[1]
        print(f"  -> heldout {'at least as good' if as_good else 'worse'}; best reference "
              f"{'inside' if inside else 'outside'} heldout's interval")
        results[name] = {"heldout": round(ours, 4), "sklearn": round(best_ref[0], 4),
                         "ci": [round(ci[0], 4), round(ci[1], 4)], "higher_is_better": higher,
                         "seconds": round(seconds, 1), "sklearn_seconds": round(sum(r[1] for r in refs.values()), 1),
                         "metric": main_metric}
    finish({"datasets": results})


if __name__ == "__main__":
    main()
