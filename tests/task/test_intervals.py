"""Intervals of a look: exact for accuracy, BCa or percentile bootstrap for the rest, paired
differences to baselines; checked against scipy and scikit-learn, by simulated coverage, on
degenerate data, and for bounded memory on a large test set."""

import time
import tracemalloc

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as sk

from heldout.task import _weighted, get, metrics


def _classification(task: str, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    classes = 2 if task == "binary" else 4
    y = rng.integers(0, classes, n)
    p = rng.dirichlet(np.ones(classes), n)
    p[np.arange(n), y] += 0.4
    p = (p / p.sum(1, keepdims=True)).round(2)  # rounded: ties in the scores
    p = p / p.sum(1, keepdims=True)
    return y, (p[:, 1] if task == "binary" else p)


# -- the row-weight metrics against scikit-learn ----------------------------------------------


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_weighted_metrics_equal_the_task_score_and_sklearn_with_sample_weights(task):
    rng = np.random.default_rng(1)
    if task == "regression":
        y = rng.normal(size=300) * 5 + 1000  # a large mean: r2 must not cancel
        prediction = y + rng.normal(size=300)
    else:
        y, prediction = _classification(task, 300)
    t = get(task)
    f = t.weighted(y, prediction)
    whole = {k: float(v[0]) for k, v in f(np.ones((1, len(y)))).items()}
    assert whole == pytest.approx(t.score(y, prediction), rel=1e-9)
    w = rng.integers(0, 4, size=(3, len(y))).astype(float)  # a resample: each row drawn w times
    for r in range(3):
        keep = w[r] > 0
        expected = t.score(
            np.repeat(y[keep], w[r][keep].astype(int), axis=0),
            np.repeat(prediction[keep], w[r][keep].astype(int), axis=0),
        )
        assert {k: float(v[r]) for k, v in f(w).items()} == pytest.approx(expected, rel=1e-9)


def test_weighted_auc_matches_sklearn_with_ties_and_is_nan_for_one_class():
    rng = np.random.default_rng(2)
    score, positive = rng.integers(0, 5, 200).astype(float), rng.random(200) < 0.3
    w = rng.integers(0, 3, size=(4, 200)).astype(float)
    got = _weighted.auc(score, positive)(w)
    assert got == pytest.approx([sk.roc_auc_score(positive, score, sample_weight=row) for row in w])
    only_negatives = np.where(positive, 0.0, 1.0)[None]
    assert np.isnan(_weighted.auc(score, positive)(only_negatives)[0])
    assert _weighted.auc(np.zeros(200), positive)(w).tolist() == [0.5] * 4  # a constant score


def test_weights_count_how_often_each_row_was_drawn():
    assert _weighted.weights(np.array([[0, 0, 2], [1, 2, 2]]), 3).tolist() == [[2, 0, 1], [0, 1, 2]]
    assert _weighted.weights(np.array([2, 1, 1]), 3).tolist() == [[0, 2, 1]]


# -- accuracy: the exact interval ---------------------------------------------------------------


def test_a_perfect_score_gets_an_exact_interval_below_one():
    y = np.array([0, 1] * 18)
    interval, _ = metrics.intervals(get("binary"), y, np.where(y == 1, 0.8, 0.2))
    low, high = interval["accuracy"]
    assert low == pytest.approx(0.9026, abs=1e-4) and high == 1.0  # 0.025 ** (1 / 36)
    one_wrong = np.where(y == 1, 0.8, 0.2)
    one_wrong[0] = 0.9
    interval, _ = metrics.intervals(get("binary"), y, one_wrong)
    assert interval["accuracy"] == pytest.approx(
        [0.8547, 0.9993], abs=1e-4
    )  # Clopper–Pearson, 35 of 36


@pytest.mark.parametrize("n", [36, 200])
def test_the_accuracy_interval_covers_the_truth_at_least_93_percent_of_the_time(n):
    rng = np.random.default_rng(n)
    truth = 0.9
    correct = rng.binomial(n, truth, size=1000)
    covered = np.mean([lo <= truth <= hi for lo, hi in (metrics.exact(k, n) for k in correct)])
    assert covered >= 0.93, f"coverage {covered:.3f} over 1000 test sets of {n} rows"
    print(f"accuracy interval, {n} rows: coverage {covered:.3f} over 1000 test sets")


# -- the bootstrap --------------------------------------------------------------------------


def test_the_bootstrap_is_scipys_bca_on_small_test_sets():
    rng = np.random.default_rng(3)
    y = rng.normal(size=150)
    error = rng.standard_t(3, size=150)
    interval, _ = metrics.intervals(get("regression"), y, y + error, seed=7)
    oracle = stats.bootstrap(
        (np.abs(error),),
        np.mean,
        n_resamples=metrics.RESAMPLES,
        method="BCa",
        batch=metrics.BATCH_NUMBERS // 150,
        rng=np.random.default_rng(7),
    )
    assert interval["mae"] == pytest.approx(
        [oracle.confidence_interval.low, oracle.confidence_interval.high]
    )
    above = len(y) + metrics.BCA_ROWS
    y = rng.normal(size=above)
    error = rng.normal(size=above)
    interval, _ = metrics.intervals(get("regression"), y, y + error, seed=7)
    oracle = stats.bootstrap(
        (np.abs(error),),
        np.mean,
        n_resamples=metrics.RESAMPLES,
        method="percentile",
        batch=metrics.BATCH_NUMBERS // above,
        rng=np.random.default_rng(7),
    )
    assert interval["mae"] == pytest.approx(
        [oracle.confidence_interval.low, oracle.confidence_interval.high]
    )


@pytest.mark.parametrize("n, sets", [(36, 1000), (200, 300)])
def test_the_bootstrap_intervals_cover_the_truth_in_simulation(n, sets):
    rng = np.random.default_rng(4)
    truth = {"mae": np.sqrt(2 / np.pi), "rmse": 1.0}  # of standard normal errors
    hits = {"mae": 0, "rmse": 0}
    for i in range(sets):
        y = rng.normal(size=n)
        interval, _ = metrics.intervals(get("regression"), y, y + rng.normal(size=n), seed=i)
        for m in hits:
            hits[m] += interval[m][0] <= truth[m] <= interval[m][1]
    coverage = {m: round(float(h) / sets, 3) for m, h in hits.items()}
    print(f"BCa intervals, {n} rows: coverage {coverage} over {sets} test sets")
    # at most three standard errors of the simulation below the nominal 95% (0.929 for 1,000 sets)
    floor = 0.95 - 3 * np.sqrt(0.95 * 0.05 / sets)
    # rmse, the square root of a mean of squares, is skewed at few rows: BCa corrects most of it,
    # not all
    assert coverage["mae"] >= floor and coverage["rmse"] >= 0.9, (
        f"coverage {coverage} over {sets} sets of {n} rows"
    )


def test_degenerate_data_falls_back_and_never_crashes():
    y = np.arange(40.0)
    interval, versus = metrics.intervals(
        get("regression"), y, y.copy(), {"same": y.copy()}
    )  # every error zero
    assert (
        interval["rmse"] == [0.0, 0.0]
        and interval["mae"] == [0.0, 0.0]
        and interval["r2"] == [1.0, 1.0]
    )
    assert versus["same"]["rmse"] == {
        "value": 0.0,
        "difference": 0.0,
        "interval_95": [0.0, 0.0],
        "verdict": "not resolved",
    }
    y = np.array([0] * 38 + [1, 1])  # most resamples lack the rare class: AUC undefined there
    interval, _ = metrics.intervals(get("binary"), y, np.linspace(0.1, 0.9, 40))
    assert all(np.isfinite(interval["roc_auc"])) and interval["roc_auc"][1] <= 1.0
    one, _ = metrics.intervals(get("binary"), np.array([1]), np.array([0.7]))  # one row: exact only
    assert list(one) == ["accuracy"] and one["accuracy"] == pytest.approx([0.025, 1.0])
    single_class, _ = metrics.intervals(get("binary"), np.ones(30, int), np.full(30, 0.7))
    assert "roc_auc" not in single_class and "accuracy" in single_class  # undefined: no interval


# -- the paired difference ---------------------------------------------------------------------


def test_a_model_clearly_better_than_the_mean_gets_a_difference_interval_below_zero():
    rng = np.random.default_rng(5)
    y = rng.normal(size=120) * 3
    task = get("regression")
    mean = task.baseline(rng.normal(size=500) * 3, None, 120)  # learned from other (training) rows
    prediction = y + rng.normal(size=120) * 0.5
    _, versus = metrics.intervals(task, y, prediction, {"baseline": mean})
    rmse = versus["baseline"]["rmse"]
    assert rmse["interval_95"][1] < 0 and rmse["verdict"] == "better"
    assert rmse["value"] == pytest.approx(np.sqrt(np.mean((mean - y) ** 2)))
    assert rmse["difference"] == pytest.approx(
        np.sqrt(np.mean((prediction - y) ** 2)) - rmse["value"]
    )
    assert (
        versus["baseline"]["r2"]["interval_95"][0] > 0
        and versus["baseline"]["r2"]["verdict"] == "better"
    )


def test_the_difference_is_paired_narrower_than_unpaired():
    rng = np.random.default_rng(6)
    y = rng.normal(size=300) * 10
    hard = rng.normal(size=300) * 5  # errors both models share (hard rows)
    model, other = y + hard + rng.normal(size=300), y + hard + rng.normal(size=300) * 1.2
    interval, versus = metrics.intervals(get("regression"), y, model, {"other": other})
    paired = np.diff(versus["other"]["mae"]["interval_95"])[0]
    alone = np.diff(interval["mae"])[0]
    # shared row difficulty cancels in a paired difference: narrower than one model's own interval,
    # where resampling the two independently would make it about √2 times as wide
    assert paired < alone / 2, (paired, alone)


def test_classification_baselines_are_the_training_class_frequencies():
    binary, multiclass = get("binary"), get("multiclass")
    assert binary.baseline(np.array([0, 1, 1, 1]), ("a", "b"), 2).tolist() == [0.75, 0.75]
    assert multiclass.baseline(np.array([0, 2, 2, 2]), ("a", "b", "c"), 1).tolist() == [
        [0.25, 0.0, 0.75]
    ]
    y, prediction = _classification("multiclass", 200)
    _, versus = metrics.intervals(
        multiclass,
        y,
        prediction,
        {"baseline": multiclass.baseline(np.array([0, 1, 2, 3, 3]), (0, 1, 2, 3), 200)},
    )
    assert versus["baseline"]["roc_auc"]["value"] == 0.5
    assert versus["baseline"]["accuracy"]["value"] == pytest.approx(
        np.mean(y == 3)
    )  # always the majority


# -- bounded memory ----------------------------------------------------------------------------


def _peak(run) -> tuple[float, float]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20, time.perf_counter() - started
    finally:
        tracemalloc.stop()


def test_a_200000_row_test_set_gets_its_intervals_in_bounded_memory():
    rng = np.random.default_rng(7)
    n = 200_000
    y = rng.normal(size=n)
    prediction = y + rng.normal(size=n)
    peak, seconds = _peak(lambda: metrics.intervals(get("regression"), y, prediction))
    # an index matrix of every resample would be 2,000 × 200,000 × 8 bytes = 3,052 MiB
    assert peak < 300, f"peak {peak:.0f} MiB for {n} rows ({seconds:.1f} s)"
    print(
        f"regression, {n} rows, {metrics.RESAMPLES} resamples: peak {peak:.0f} MiB traced, "
        f"{seconds:.1f} s"
    )


def test_classification_with_a_baseline_stays_in_bounded_memory_too(monkeypatch):
    # the peak is one batch's: fewer resamples (fewer batches) leave it as it is and save time
    monkeypatch.setattr(metrics, "RESAMPLES", 200)
    n = 200_000
    y, prediction = _classification("binary", n, seed=8)
    task = get("binary")
    peak, seconds = _peak(
        lambda: metrics.intervals(task, y, prediction, {"baseline": task.baseline(y, (0, 1), n)})
    )
    assert peak < 300, f"peak {peak:.0f} MiB for {n} rows ({seconds:.1f} s)"
    print(
        f"binary + baseline, {n} rows, 200 resamples: peak {peak:.0f} MiB traced, {seconds:.1f} s"
    )
