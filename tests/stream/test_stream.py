"""Streaming Parquet (`heldout train DATA --stream`): the split is the in-memory hashed split, a
full-batch fit equals the in-memory one, the test rows never reach training, and copied or
re-split test rows are refused."""

import json

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout.errors import ConfigError, LeakageError
from heldout.seal import hashed
from heldout.seal.split import split
from heldout.stream import look, training
from heldout.stream.split import stream_split
from heldout.train.fit import fit
from helpers import heldout as cli

ROWS = 12_000
SAME = (
    "strategy",
    "seed",
    "train",
    "validation",
    "test",
    "test_fingerprint",
    "train_fingerprint",
    "validation_fingerprint",
    "task",
)


def _table(n=ROWS, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["b"] = frame["b"].where(
        rng.random(n) > 0.05
    )  # missing values: imputed from the training sample
    frame["colour"] = rng.choice(["red", "green", "blue"], n)
    frame["y"] = X @ [1.0, -2.0, 0.5, 0.0] + (frame.colour == "red") + rng.normal(scale=0.5, size=n)
    return frame


def _write(frame: pd.DataFrame, folder, files=3, row_group=1_000):
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, len(frame), files + 1).astype(int)
    for i in range(files):
        frame.iloc[bounds[i] : bounds[i + 1]].to_parquet(
            folder / f"part{i}.parquet", row_group_size=row_group
        )
    return folder


def test_the_streamed_split_is_the_in_memory_hashed_split_whatever_the_row_groups(tmp_path):
    frame = _table()
    ledger = tmp_path / "ledger"
    small = stream_split(_write(frame, tmp_path / "small", 3, 500), "y", seed=4, ledger=ledger)
    large = stream_split(_write(frame, tmp_path / "large", 2, 5_000), "y", seed=4, ledger=ledger)
    whole = split(heldout.load(frame, "y"), strategy="hashed", seed=4, ledger=ledger)
    for key in SAME:
        assert small.describe()[key] == large.describe()[key] == whole.describe()[key], key
    counts = [small.describe()[k] for k in ("train", "validation", "test")]
    assert abs(counts[2] / ROWS - 0.2) < 0.02 and abs(counts[1] / (ROWS - counts[2]) - 0.2) < 0.02


def test_a_full_batch_fit_on_the_stream_equals_the_in_memory_fit(tmp_path):
    frame = _table()
    streamed = stream_split(_write(frame, tmp_path / "t"), "y", seed=1, ledger=tmp_path / "ledger")
    whole = split(heldout.load(frame, "y"), strategy="hashed", seed=1, ledger=tmp_path / "ledger")
    settings = dict(model="linear", loss="mse", optimizer="gd", lr=0.1, epochs=25)
    a, b = training.fit(streamed, **settings), fit(whole, **settings)
    assert (
        a.model.features.to_dict() == b.model.features.to_dict()
    )  # the sample is every training row here
    for p, q in zip(a.model.params, b.model.params):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-5, atol=1e-5)
    assert a.history["val_loss"].to_numpy() == pytest.approx(
        b.history["val_loss"].to_numpy(), rel=1e-5
    )


def test_minibatches_cover_every_training_row_once_per_epoch_in_a_seeded_order(tmp_path):
    from heldout.stream.rows import StreamedRows
    from heldout.train.population import Learned

    streamed = stream_split(
        _write(_table(), tmp_path / "t", 3, 700), "y", seed=0, ledger=tmp_path / "ledger"
    )
    found = streamed.found
    learned = Learned.fit(found.samples[hashed.TRAIN])
    rows = StreamedRows(found, hashed.TRAIN, learned, "cpu", shuffle_rows=2_000)
    orders = []
    for seed in (0, 0, 1):
        gens = rows.generators(seed)
        batches = list(rows.epoch(256, gens, None))
        assert sum(b[3] for b in batches) == found.rows(hashed.TRAIN)
        assert all(b[3] == 256 for b in batches[:-1])
        orders.append(np.concatenate([b[0][:, 0].numpy() for b in batches]))
    assert np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[0], orders[2])
    every = np.sort(np.concatenate([b.X[:, 0].numpy() for b in rows.blocks()]))
    assert np.array_equal(np.sort(orders[0]), every)


def test_the_cli_trains_on_a_glob_and_the_look_streams_the_test_rows(tmp_path):
    _write(_table(), tmp_path / "data")
    out = tmp_path / "run"
    cli(
        "train",
        str(tmp_path / "data" / "*.parquet"),
        "--target",
        "y",
        "--stream",
        "--optimizer",
        "adam",
        "--epochs",
        "4",
        "--out",
        str(out),
        "--ledger",
        str(tmp_path / "ledger"),
        "--quiet",
    )
    config = json.loads((out / "config.json").read_text())
    assert config["split"]["streamed"] and config["split"]["strategy"] == "hashed"
    leakage = json.loads((out / "leakage.json").read_text())
    assert leakage["stream"]["sample_rows"]["train"] == config["split"]["train"]
    page = (out / "report.html").read_text()
    assert (
        f"seeded samples of {config['split']['train']:,} of {config['split']['train']:,} training"
        in page
    )
    done = cli("evaluate", str(out), "--json")
    evaluation = json.loads(done.stdout)
    assert evaluation["rows"] == config["split"]["test"] and evaluation["metrics"]["r2"] > 0.8
    assert heldout.Ledger(tmp_path / "ledger").unsealings(config["split"]["test_fingerprint"]) == 1


def test_test_rows_copied_into_a_streamed_training_file_are_refused(tmp_path):
    frame = _table()
    train, test = frame.iloc[:10_000], frame.iloc[10_000:]
    _write(train, tmp_path / "train")
    test.to_parquet(tmp_path / "test.parquet")
    clean = stream_split(
        tmp_path / "train", "y", test=str(tmp_path / "test.parquet"), ledger=tmp_path / "ledger"
    )
    assert len(clean.test) == len(test)
    test.iloc[:40].to_parquet(
        tmp_path / "train" / "copied.parquet"
    )  # test rows copied into the training folder
    with pytest.raises(LeakageError, match="40 row.*copied"):
        stream_split(
            tmp_path / "train", "y", test=str(tmp_path / "test.parquet"), ledger=tmp_path / "ledger"
        )


def test_a_re_split_that_moves_sealed_test_rows_into_training_is_refused(tmp_path):
    data = _write(_table(), tmp_path / "t")
    stream_split(data, "y", seed=0, ledger=tmp_path / "ledger")
    with pytest.raises(LeakageError, match="belong to test set"):
        stream_split(data, "y", seed=1, ledger=tmp_path / "ledger")


def test_streamed_training_refuses_what_it_cannot_do_yet(tmp_path):
    streamed = stream_split(_write(_table(2_000), tmp_path / "t"), "y", ledger=tmp_path / "ledger")
    with pytest.raises(ConfigError, match="folds"):
        training.fit(streamed, folds=3)
    with pytest.raises(ConfigError, match="StreamedSplit"):
        look.evaluate(None, split(heldout.load(_table(500), "y"), ledger=tmp_path / "ledger"))
    done = cli(
        "train", str(tmp_path / "t"), "--target", "y", "--stream", "--time", "a", check=False
    )
    assert done.returncode != 0 and "time split" in done.stderr


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_with_the_same_batch_order_a_minibatch_fit_equals_the_in_memory_fit(tmp_path, optimizer):
    # one row group and a shuffle buffer that holds every training row: the stream permutes the
    # training rows with the generator the in-memory path permutes them with, so the batches agree
    frame = _table(6_000)
    folder = tmp_path / "t"
    folder.mkdir()
    frame.to_parquet(folder / "one.parquet", row_group_size=len(frame))
    streamed = stream_split(folder, "y", seed=2, ledger=tmp_path / "ledger")
    whole = split(heldout.load(frame, "y"), strategy="hashed", seed=2, ledger=tmp_path / "ledger")
    settings = dict(
        model="mlp",
        hidden=(8,),
        loss="huber",
        optimizer=optimizer,
        lr=0.01,
        batch_size=128,
        epochs=4,
    )
    a, b = training.fit(streamed, shuffle_rows=len(frame), **settings), fit(whole, **settings)
    for p, q in zip(a.model.params, b.model.params):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-5, atol=1e-5)


def test_a_folder_or_a_table_too_large_for_memory_is_streamed_with_a_notice(tmp_path, monkeypatch):
    from heldout.stream.source import streaming_reason

    data = _write(_table(3_000), tmp_path / "t")
    done = cli(
        "train",
        str(data),
        "--target",
        "y",
        "--epochs",
        "2",
        "--out",
        str(tmp_path / "run"),
        "--ledger",
        str(tmp_path / "ledger"),
        "--quiet",
    )
    assert "Streaming:" in done.stderr and "folder or a glob" in " ".join(done.stderr.split())
    assert json.loads((tmp_path / "run" / "config.json").read_text())["split"]["streamed"]
    one = data / "part0.parquet"
    assert streaming_reason(str(one)) is None
    monkeypatch.setattr("heldout.train.memory.available_bytes", lambda *args: 10_000)
    assert "more than a quarter" in streaming_reason(str(one))
    assert streaming_reason(str(tmp_path / "table.csv")) is None


def test_run_searches_the_samples_trains_the_winner_on_every_row_and_looks_once(tmp_path):
    _write(_table(), tmp_path / "data")
    ledger, out = tmp_path / "ledger", tmp_path / "run"
    args = [
        "run",
        str(tmp_path / "data"),
        "--target",
        "y",
        "--stream",
        "--trials",
        "4",
        "--out",
        str(out),
        "--ledger",
        str(ledger),
        "--json",
    ]
    summary = json.loads(cli(*args).stdout)
    split_rows = summary["split"]
    assert summary["search_rows"] == {
        part: split_rows[part] for part in ("train", "validation", "test")
    }
    assert summary["refit"] is False and summary["ledger_count"] == 1 and summary["trials"] == 4
    assert summary["test"]["r2"] > 0.8 and 0.8 < summary["test"]["conformal"]["coverage"] <= 1
    config = json.loads((out / "config.json").read_text())
    assert (
        config["split"]["streamed"] and config["split"]["train"] == split_rows["train"]
    )  # every training row
    again = json.loads(
        cli(*args).stdout
    )  # the same command again: the look already taken, not a second one
    assert again["ledger_count"] == 1 and again["test"]["rmse"] == summary["test"]["rmse"]
    assert heldout.Ledger(ledger).unsealings(split_rows["test_fingerprint"]) == 1


def test_tune_on_a_stream_searches_without_looking(tmp_path):
    _write(_table(3_000), tmp_path / "data")
    out = tmp_path / "t"
    cli(
        "tune",
        str(tmp_path / "data"),
        "--target",
        "y",
        "--stream",
        "--trials",
        "4",
        "--out",
        str(out),
        "--ledger",
        str(tmp_path / "ledger"),
        "--quiet",
    )
    assert len(pd.read_csv(out / "leaderboard.csv")) == 4
    seal = json.loads((out / "config.json").read_text())["split"]["test_fingerprint"]
    assert heldout.Ledger(tmp_path / "ledger").unsealings(seal) == 0
    assert "stream" in json.loads((out / "leakage.json").read_text())
