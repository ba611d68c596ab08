"""The scikit-learn estimators pass scikit-learn's own checks and work in its tools."""

import numpy as np
from sklearn.datasets import load_breast_cancer, make_regression
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from heldout.sklearn import HeldoutClassifier, HeldoutRegressor


def test_scikit_learn_check_estimator_passes_for_both_estimators():
    for estimator in (HeldoutRegressor(), HeldoutClassifier()):
        results = check_estimator(estimator, on_fail=None)
        failed = [
            (r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"
        ]
        assert failed == [] and len(results) > 50


def test_pipelines_cross_validation_and_grid_search():
    X, y = load_breast_cancer(return_X_y=True)
    labels = np.where(y == 1, "benign", "malignant")
    pipe = make_pipeline(StandardScaler(), HeldoutClassifier(epochs=30))
    scores = cross_val_score(pipe, X, labels, cv=3)
    assert scores.mean() > 0.9
    search = GridSearchCV(HeldoutClassifier(epochs=20), {"lr": [1e-3, 1e-2]}, cv=3).fit(X, labels)
    assert search.best_params_["lr"] in (1e-3, 1e-2) and set(search.predict(X[:5])) <= {
        "benign",
        "malignant",
    }
    assert search.predict_proba(X[:5]).shape == (5, 2)


def test_a_two_dimensional_y_trains_one_multi_output_regressor():
    X, Y = make_regression(300, 4, n_targets=2, noise=1.0, random_state=0)
    Y = Y * [1.0, 100.0]  # two scales
    fitted = HeldoutRegressor(optimizer="gd", lr=0.5, epochs=300, early_stopping=False).fit(X, Y)
    assert fitted.model_.targets == ("target_0", "target_1") and fitted.predict(X[:5]).shape == (
        5,
        2,
    )
    reference = (
        LinearRegression().fit(X, Y).predict(X)
    )  # on all rows; heldout trained on 80% of them
    assert (np.abs(fitted.predict(X) - reference).max(0) < 0.01 * Y.std(0)).all()
    assert fitted.score(X, Y) > 0.99
