"""Train on a CUDA device and on the CPU from the same seed; print both results and their agreement.

Run where a GPU is present: ``PYTHONPATH=src python benchmarks/device_check.py``. Ends with one JSON
line."""

import json
import os
import tempfile
import time

import torch

import heldout
from heldout._util.versions import versions

os.environ.setdefault("HELDOUT_HOME", tempfile.mkdtemp())
print(json.dumps(versions()), "threads", torch.get_num_threads(), "cuda", torch.cuda.is_available())
device = "cuda" if torch.cuda.is_available() else "cpu"
figures = {"device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu"}
for name, options in [
    ("diabetes", dict(model="linear", loss="mse", optimizer="gd")),
    ("digits", dict(model="mlp", hidden=(64,), optimizer="adam", epochs=30)),
]:
    split = heldout.split(heldout.datasets.load(name), seed=0)
    for where in ("cpu", device):
        t = time.perf_counter()
        run = heldout.fit(split, device=where, **options)
        seconds = time.perf_counter() - t
        figures[f"{name}_{where}"] = {
            "status": run.status,
            "epochs": int(run.history["epoch"].iloc[-1]),
            "best_val_metric": float(run.history["val_metric"][run.best_epoch]),
            "seconds": round(seconds, 3),
        }
        print(name, where, figures[f"{name}_{where}"])
    result = heldout.evaluate(run.model, split)
    figures[f"{name}_test"] = {k: v for k, v in result.metrics.items() if k != "loss_name"}
# a population (rates x folds) on both devices: the same members, the same curves
split = heldout.split(heldout.datasets.load("breast_cancer"), seed=0)
tables = {}
for where in ("cpu", device):
    t = time.perf_counter()
    run = heldout.fit(
        split,
        model="mlp",
        hidden=(16,),
        optimizer="adam",
        lr=[1e-3, 1e-2, 1e-1],
        folds=3,
        epochs=20,
        device=where,
    )
    tables[where] = run.table()
    figures[f"population_{where}_seconds"] = round(time.perf_counter() - t, 3)
diff = (tables["cpu"]["val_loss"] - tables[device]["val_loss"]).abs().max()
figures["population_members"] = len(tables["cpu"])
figures["population_max_val_loss_difference"] = float(diff)
figures["population_same_best_epochs"] = bool(
    (tables["cpu"]["best_epoch"] == tables[device]["best_epoch"]).all()
)
print(tables[device].to_string())
print(json.dumps(figures))
