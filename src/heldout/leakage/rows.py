"""Checks over rows: exact and near duplicates across the parts of a split."""

from __future__ import annotations

import numpy as np
import torch

from ..data.dataset import Dataset
from ..data.features import Features
from ..data.fingerprint import row_fingerprints
from .finding import Finding

NEAR_SAMPLE, NEAR_FACTOR = 2000, 0.05


def duplicates(parts: dict[str, Dataset]) -> list[Finding]:
    train = parts["train"]
    feat = {name: row_fingerprints(p.features) for name, p in parts.items()}
    full = {name: p.fingerprints for name, p in parts.items()}
    # discrete data (few distinct feature rows: survey answers, small grids) repeats legitimately
    distinct = len(np.unique(feat["train"])) / max(1, len(train))
    out = []
    for name in ("validation", "test"):
        same_features = np.isin(feat[name], feat["train"])
        same_row = np.isin(full[name], full["train"])
        conflicting = same_features & ~same_row
        share = same_row.mean() if len(same_row) else 0.0
        legit = distinct < 0.5
        if same_row.any():
            severity = "info" if legit else ("error" if same_row.sum() >= 2 and share >= 0.01 else "warning")
            out.append(Finding(
                "duplicates", severity, "duplicates across splits", int(same_row.sum()),
                f"{int(same_row.sum())} {name} row(s) repeat a training row exactly (features and label)"
                + (f"; the training rows hold only {distinct:.0%} distinct feature rows, so this looks like "
                   "legitimate repetition" if legit else ": their score measures memory, not generalisation. Drop the "
                   "duplicates before splitting, or split by the entity they belong to (groups)."),
                np.flatnonzero(same_row)[:5].tolist()))
        if conflicting.any():
            out.append(Finding(
                "duplicates", "info", "duplicates across splits", int(conflicting.sum()),
                f"{int(conflicting.sum())} {name} row(s) have the features of a training row but another label "
                "(label noise, or features that do not determine the label).", np.flatnonzero(conflicting)[:5].tolist()))
    return out


def near_duplicates(parts: dict[str, Dataset]) -> list[Finding]:
    features = Features().fit(parts["train"].features)
    train = torch.from_numpy(features.transform(parts["train"].features))
    if len(train) < 3 or train.shape[1] == 0:
        return []
    gen = np.random.default_rng(0)
    # one pass over the training rows answers every query: a probe of training rows (for the
    # typical distance, each excluding itself) and samples of the validation and test rows
    probe = gen.choice(len(train), size=min(NEAR_SAMPLE, len(train)), replace=False)
    picks = {name: gen.choice(len(parts[name]), size=min(NEAR_SAMPLE, len(parts[name])), replace=False)
             for name in ("validation", "test")}
    queries = [train[probe]] + [torch.from_numpy(features.transform(parts[name].features.iloc[pick]))
                                for name, pick in picks.items()]
    own = np.concatenate([probe, -np.ones(sum(len(p) for p in picks.values()), dtype=np.int64)])
    distance = _nearest(torch.cat(queries), train, own)
    typical = float(np.median(distance[:len(probe)]))
    if typical == 0:
        return []
    # rows scattered at random in d dimensions fall this close by chance with probability
    # 1 - exp(-ln2 * factor^d) (nearest-neighbour distances of a Poisson process, median-scaled):
    # sizeable in one or two dimensions, negligible in many
    chance = 1 - np.exp(-np.log(2) * NEAR_FACTOR ** train.shape[1])
    out, offset = [], len(probe)
    for name, pick in picks.items():
        d = distance[offset:offset + len(pick)]
        offset += len(pick)
        close = (d > 1e-6) & (d < NEAR_FACTOR * typical)
        share = close.mean() if len(close) else 0.0
        if share > 0.01 and share > 5 * chance:
            count = int(round(share * len(parts[name])))
            out.append(Finding(
                "near_duplicates", "warning", "duplicates across splits", count,
                f"About {count} {name} row(s) ({share:.1%}) lie within {NEAR_FACTOR:g}x the typical nearest-neighbour "
                f"distance of a training row ({typical:.3g}): near copies (re-measured, rounded or augmented rows). "
                "Split by the entity they come from (groups).", pick[close][:5].tolist()))
    return out


def _nearest(query: torch.Tensor, pool: torch.Tensor, own: np.ndarray) -> np.ndarray:
    """Each query row's Euclidean distance to its nearest pool row, excluding pool row ``own[i]``
    (-1: none), in blocks of pool rows (no N×N matrix)."""
    best = torch.full((len(query),), float("inf"))
    q2 = (query * query).sum(1, keepdim=True)
    own = torch.from_numpy(own)
    block = max(256, 2 ** 22 // max(1, len(query)))
    for start in range(0, len(pool), block):
        part = pool[start:start + block]
        d2 = torch.addmm((part * part).sum(1).unsqueeze(0), query, part.T, alpha=-2).add_(q2).clamp_min_(0)
        inside = (own >= start) & (own < start + len(part))
        if inside.any():   # a training row is not its own neighbour
            d2[torch.nonzero(inside).flatten(), own[inside] - start] = float("inf")
        best = torch.minimum(best, d2.min(1).values)
    return best.sqrt().numpy()
