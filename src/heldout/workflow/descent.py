"""The descent picture: the training loss over a 2-D slice of parameter space, and the path
θ₀ → θ_T that each learning rate took across it.

The paths start from the same θ₀ (same seed, same batches) and differ only in the learning
rate: the chosen one and multiples of it (:data:`FACTORS`), trained together as one population
on the training rows, so a rate too small crawls and one too large overshoots or diverges in
plain sight. A model with two parameters is drawn in its own coordinates. A larger one is drawn
on the plane through three points of the chosen rate's path — its start, its midpoint and its
end — with every recorded point projected onto that plane; the three points lie on it exactly,
the others near or off it (``off_plane`` says how far, as a share of their distance from θ₀).
The contours are the training loss (L2 term included) evaluated at every grid point of the
plane, the grid being one forward-only population.

Only training rows are read; a sample of the validation rows is watched as in any fit, and the
test set is never touched.

>>> import heldout
>>> split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
>>> settings = {"model": "linear", "loss": "mse", "optimizer": "gd", "lr": 0.1, "epochs": 50}
>>> picture = trace(split, settings)
>>> picture["kind"], [p["factor"] for p in picture["paths"]], len(picture["grid"]["loss"])
('plane', [0.1, 1.0, 3.0, 10.0], 31)
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from ..nn import optim
from ..seal.split import Split
from ..train.blocks import Block
from ..train.population import make_config, train_population
from ..train.rows import Hooks, Rows
from ..train.scoring import score_rows

FACTORS = (0.1, 1.0, 3.0, 10.0)  # learning rates drawn, as multiples of the chosen one
ROWS = 20_000  # training rows the paths are trained on (a seeded sample beyond this)
WATCHED_ROWS = 1_000  # validation rows watched while they train (a seeded sample beyond this)
MAX_STEPS = 500  # optimizer steps per path at most (epochs are cut to fit): a picture, not a fit
MAX_POINTS = 100  # recorded points per path (every n-th epoch when there are more)
GRID = 31  # grid points per axis
GRID_ROWS = 1024  # training rows the contour loss is evaluated on, at most
GRID_WORK = 1e9  # multiply-adds for the grid at most: large models get fewer rows (64 at least)
GRID_NUMBERS = 2**24  # parameters of the grid points evaluated at once
MAX_BYTES = 200 * 2**20  # recorded parameter vectors at most


def trace(split: Split, settings: dict, *, factors=FACTORS, seed: int | None = None) -> dict:
    """Train ``settings`` at the learning rates ``lr × factors`` from one start, record the paths
    and the loss over their plane; return the picture as plain values (``report.json``'s
    ``descent``)."""
    seed = split.seed if seed is None else seed
    train, validation = _sampled(split, seed)
    chosen = make_config(dict(settings, early_stopping=False), split.task)
    steps = (
        1 if optim.get(chosen.optimizer).full_batch else math.ceil(len(train) / chosen.batch_size)
    )
    if chosen.iterations is None:
        epochs = max(1, min(chosen.epochs, MAX_STEPS // steps))
    else:  # iterations become whole epochs, within the step budget
        epochs = max(1, min(chosen.iterations, MAX_STEPS) // steps)
    rates = [chosen.lr * f for f in factors]
    fields = {
        f.name: getattr(chosen, f.name) for f in dataclasses.fields(chosen)
    }  # a model factory stays as is
    configs = [dict(fields, lr=r, epochs=epochs, iterations=None) for r in rates]
    recorder = _Recorder(len(rates), epochs)
    rows = Rows(train, validation, split.seed, split=split.describe())
    run = train_population(rows, configs, Hooks(trace=recorder))
    model = run.models[0]
    family, features = model.family, model.features
    recorded, n_params = recorder.points, recorder.n_params
    paths = [np.stack([recorded[k][e] for e in sorted(recorded[k])]) for k in range(len(rates))]
    keep = [np.isfinite(p).all(axis=1) for p in paths]
    middle = factors.index(1.0) if 1.0 in factors else len(factors) // 2
    shapes = [tuple(p.shape) for p in run.models[0].params]
    names = _axis_names(family, shapes)
    origin, axes = _plane(paths[middle][keep[middle]], paths, keep, names is not None, seed)
    coords = [_project(p[m], origin, axes) for p, m in zip(paths, keep)]
    a_range, b_range = _window(
        coords, factors, middle, [m.status != "diverged" for m in run.members]
    )
    grid_a, grid_b = np.linspace(*a_range, GRID), np.linspace(*b_range, GRID)
    grid_rows = int(min(GRID_ROWS, max(64, GRID_WORK // (GRID * GRID * n_params))))
    rows = train.take(np.sort(np.random.default_rng(seed).permutation(len(train))[:grid_rows]))
    device = torch.device(chosen.device)  # where the family's modules live
    X = torch.from_numpy(features.transform(rows.features)).to(device)
    # the loss the paths descend: targets on the scale the model fits, rows by their weights
    y = split.task.encode(rows.target, split.train.classes, device, scale=model.target_scale)
    w = model.row_weights(rows)
    w = None if w is None else torch.from_numpy(w).to(device, X.dtype)
    surface = _surface(
        family, shapes, origin, axes, grid_a, grid_b, Block.shared(X, y, w), split.task, chosen
    )

    out = []
    for k, (member, path_coords) in enumerate(zip(run.members, coords)):
        epochs_kept = np.array(sorted(recorded[k]))[keep[k]]
        by_epoch = dict(zip(member.history["epoch"], member.history["train_loss"]))
        out.append(
            {
                "lr": rates[k],
                "factor": factors[k],
                "status": member.status,
                "message": member.message,
                "epoch": epochs_kept.tolist(),
                "a": _clean(path_coords[0]),
                "b": _clean(path_coords[1]),
                "train_loss": _clean([by_epoch.get(int(e), math.nan) for e in epochs_kept]),
                "off_plane": _clean([float(np.max(path_coords[2], initial=0.0))])[0],
            }
        )
    return {
        "kind": "parameters" if names else "plane",
        "axes": names or ["start → end of the chosen path", "towards its midpoint"],
        "chosen": middle,
        "model": str(getattr(chosen.model, "__name__", chosen.model)),
        "loss": chosen.loss,
        "optimizer": chosen.optimizer,
        "batch_size": chosen.batch_size,
        "epochs": epochs,
        "rows": len(train),
        "grid_rows": len(rows),
        "parameters": int(n_params),
        "every": recorder.every,
        "grid": {"a": grid_a.tolist(), "b": grid_b.tolist(), "loss": [_clean(r) for r in surface]},
        "paths": out,
    }


class _Recorder:
    """The engine's ``trace`` hook: each member's flattened parameters at epoch 0, every n-th epoch
    and its latest one, n chosen so that the paths of a large model stay within ``MAX_BYTES``."""

    def __init__(self, members: int, epochs: int):
        self.members, self.epochs = members, epochs
        self.points: dict[int, dict[int, np.ndarray]] = {k: {} for k in range(members)}
        self.n_params, self.every = None, 1

    def __call__(self, epoch: int, members: list[int], params: list[torch.Tensor]) -> None:
        flat = (
            torch.cat([p.detach().reshape(p.shape[0], -1) for p in params], 1)
            .double()
            .cpu()
            .numpy()
        )
        if self.n_params is None:
            self.n_params = flat.shape[1]
            budget = max(3, MAX_BYTES // (8 * self.n_params * self.members))
            self.every = max(1, math.ceil(self.epochs / min(MAX_POINTS, budget - 1)))
        for j, k in enumerate(members):
            path = self.points[k]
            last = max(path) if path else None
            if last is not None and last % self.every:
                del path[last]  # kept only as the latest: a newer one replaces it
            path[epoch] = flat[j]


def _sampled(split: Split, seed: int) -> tuple:
    """At most ``ROWS`` training rows and ``WATCHED_ROWS`` validation rows of the split, drawn with
    ``seed`` (the picture reads training losses only; the validation rows are watched, not used)."""
    rng = np.random.default_rng(seed)

    def pick(part, most):
        return (
            part
            if len(part) <= most
            else part.take(np.sort(rng.choice(len(part), most, replace=False)))
        )

    return pick(split.train, ROWS), pick(split.validation, WATCHED_ROWS)


def _axis_names(family, shapes) -> list[str] | None:
    """The two parameters' names when the model has exactly two (then the slice is the whole
    space)."""
    if sum(math.prod(s) for s in shapes) != 2:
        return None
    names = []
    for name, shape in zip(family.param_names(), shapes):
        names += (
            [name] if math.prod(shape) == 1 else [f"{name}[{i}]" for i in range(math.prod(shape))]
        )
    return names


def _plane(
    chosen: np.ndarray, paths, keep, own_axes: bool, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """An origin and two orthonormal directions: the parameters' own axes for a two-parameter
    model; otherwise the plane through the chosen path's start, midpoint and end."""
    n = chosen.shape[1]
    if own_axes:
        return np.zeros(n), np.eye(n)
    start, end, mid = chosen[0], chosen[-1], chosen[len(chosen) // 2]
    rng = np.random.default_rng(seed)
    u = end - start
    if np.linalg.norm(u) < 1e-12:  # the chosen rate did not move: any direction shows the start
        u = rng.standard_normal(n)
    u = u / np.linalg.norm(u)
    # the second direction: towards the midpoint; for a straight path, towards the point of any
    # path farthest off the line; failing that, a seeded random direction
    candidates = [mid - start] + [p[m] - start for p, m in zip(paths, keep) if m.any()]
    best = None
    for c in candidates:
        c = np.atleast_2d(c)
        off = c - np.outer(c @ u, u)
        norms = np.linalg.norm(off, axis=1)
        i = int(np.argmax(norms))
        if norms[i] > 1e-6 * max(1.0, float(np.linalg.norm(c[i]))):
            best = off[i]
            break
    v = best if best is not None else rng.standard_normal(n)
    v = v - (v @ u) * u
    return start, np.stack([u, v / np.linalg.norm(v)])


def _project(points: np.ndarray, origin: np.ndarray, axes: np.ndarray) -> tuple:
    """Plane coordinates (a, b) of each point and its distance off the plane, as a share of its
    distance from the origin."""
    rel = points - origin
    ab = rel @ axes.T
    off = np.linalg.norm(rel - ab @ axes, axis=1) / np.maximum(np.linalg.norm(rel, axis=1), 1e-12)
    return ab[:, 0], ab[:, 1], off


def _window(coords, factors, middle, settled) -> tuple[tuple, tuple]:
    """The plotted range: every path that did not diverge, but no wider than three times the span
    of the paths at or below the chosen rate (a diverging path leaves the frame rather than
    shrinking the rest)."""
    core = [c for c, f in zip(coords, factors) if f <= factors[middle] and len(c[0])] or [
        coords[middle]
    ]
    every = [c for c, ok in zip(coords, settled) if ok and len(c[0])] + core
    ranges = []
    for axis in (0, 1):
        lo_c = min(c[axis].min() for c in core)
        hi_c = max(c[axis].max() for c in core)
        ranges.append(
            [lo_c, hi_c, min(c[axis].min() for c in every), max(c[axis].max() for c in every)]
        )
    span = max(max(r[1] - r[0] for r in ranges), 1e-3)
    out = []
    for lo_c, hi_c, lo_all, hi_all in ranges:
        centre = (lo_c + hi_c) / 2
        lo, hi = max(lo_all, centre - 1.5 * span), min(hi_all, centre + 1.5 * span)
        lo, hi = min(lo, centre - 0.3 * span), max(hi, centre + 0.3 * span)  # a square-ish frame
        pad = 0.1 * (hi - lo)
        out.append((float(lo - pad), float(hi + pad)))
    return out[0], out[1]


def _surface(
    family, shapes, origin, axes, grid_a, grid_b, block: Block, task, config
) -> np.ndarray:
    """The training loss (L2 term included) at every grid point, ``[len(grid_b), len(grid_a)]``,
    evaluated as populations of up to ``GRID_NUMBERS`` parameters without gradients."""
    X = block.X
    A, B = (
        torch.from_numpy(g.reshape(-1, 1)).to(X.device, X.dtype)
        for g in np.meshgrid(grid_a, grid_b)
    )
    origin_t, axis_a, axis_b = (
        torch.from_numpy(np.asarray(v)).to(X.device, X.dtype) for v in (origin, *axes[:2])
    )
    weights = family.weight_mask()
    values = []
    at_once = max(1, min(len(A), GRID_NUMBERS // len(origin)))
    for start in range(0, len(A), at_once):  # the grid points' parameters, built a chunk at a time
        stop = start + at_once
        flat = torch.addcmul(torch.addcmul(origin_t, A[start:stop], axis_a), B[start:stop], axis_b)
        params, offset = [], 0
        for shape in shapes:
            size = math.prod(shape)
            params.append(flat[:, offset : offset + size].reshape(len(flat), *shape))
            offset += size
        loss, _ = score_rows(family, params, block, None, task, config.loss)
        if config.l2:
            loss = loss + 0.5 * config.l2 * sum(
                p.pow(2).flatten(1).sum(1) for p, w in zip(params, weights) if w
            )
        values.append(loss)
    return torch.cat(values).double().cpu().numpy().reshape(len(grid_b), len(grid_a))


def _clean(values) -> list:
    """Floats for JSON: non-finite values (a diverged path, an overflowing corner) become None."""
    return [
        float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=float).tolist()
    ]
