"""16 learning rates × 5 cross-validation folds of the MLP of ``sweep.py`` (one hidden layer of
64, ReLU, log loss, batch 256, 5 epochs, plain SGD) on 100,000 rows × 50 features, against
scikit-learn's ``GridSearchCV(MLPClassifier, cv=5, n_jobs=2)`` on the same grid, epochs and folds.

heldout trains the 80 (rate, fold) members as one population, preprocessing per fold; the
scikit-learn side standardises per fold too (``StandardScaler`` in the pipeline). Both are given
the same five folds, so their best mean validation accuracies are comparable.

    python3 benchmarks/cv_sweep.py         # about 1 minute on 2 cores
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _common import classification_table, finish, header, heldout, split_table, timed
from heldout.seal import folds as folding

FEATURES, HIDDEN, BATCH, EPOCHS, FOLDS = 50, 64, 256, 5, 5
RATES = [float(r) for r in np.logspace(-3, -0.5, 16)]


def main() -> None:
    header("cv_sweep: 16 learning rates x 5 folds, one population vs GridSearchCV")
    # 10% of the table sealed for test; cross-validation pools the other 100,000 rows
    split = split_table(classification_table(111_112, FEATURES), "label", test=0.1, validation=0.2)
    pool = split.train.append(split.validation)
    print(
        f"cross-validation rows {len(pool)}, features {FEATURES}, {len(RATES)} rates x {FOLDS} "
        f"folds, batch {BATCH}, epochs {EPOCHS}"
    )

    ours, run = timed(
        lambda: heldout.fit(
            split,
            model="mlp",
            hidden=(HIDDEN,),
            loss="log_loss",
            optimizer="sgd",
            lr=RATES,
            batch_size=BATCH,
            epochs=EPOCHS,
            folds=FOLDS,
            early_stopping=False,
            tol=0,
        )
    )
    table = run.by_config()
    best = table.sort_values("val_accuracy").iloc[-1]
    print(
        f"heldout population of {len(run.members)}: {ours:.2f} s; best mean validation accuracy "
        f"{best['val_accuracy']:.4f} at lr {best['lr']:.4g}"
    )

    cv = folding.assign(pool, FOLDS, split.strategy, split.seed)  # the same folds for both
    X, y = pool.features.to_numpy(dtype=np.float32), pool.target.to_numpy()
    search = GridSearchCV(
        make_pipeline(
            StandardScaler(),
            MLPClassifier(
                hidden_layer_sizes=(HIDDEN,),
                solver="sgd",
                momentum=0.0,
                alpha=0.0,
                batch_size=BATCH,
                max_iter=EPOCHS,
                random_state=0,
            ),
        ),
        {"mlpclassifier__learning_rate_init": RATES},
        cv=cv,
        n_jobs=2,
        scoring="accuracy",
        refit=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs, _ = timed(lambda: search.fit(X, y))
    print(
        f"GridSearchCV(MLPClassifier, cv=5, n_jobs=2): {theirs:.2f} s; best mean validation "
        f"accuracy {search.best_score_:.4f} at lr "
        f"{search.best_params_['mlpclassifier__learning_rate_init']:.4g}"
    )

    finish(
        {
            "speedup_vs_gridsearchcv": round(theirs / ours, 2),
            "heldout_best": round(float(best["val_accuracy"]), 4),
            "sklearn_best": round(float(search.best_score_), 4),
            "heldout_seconds": round(ours, 2),
            "gridsearchcv_seconds": round(theirs, 2),
        }
    )


if __name__ == "__main__":
    main()
