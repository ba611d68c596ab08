"""Checks over rows: exact and near duplicates across the parts of a split."""

from __future__ import annotations

import numpy as np
import torch

from ..data.dataset import Dataset
from ..data.features import Features
from ..data.fingerprint import members
from ..seal.twins import twin_mask, unexplained
from .finding import Finding

NEAR_SAMPLE, NEAR_FACTOR = 2000, 0.05


def duplicates(parts: dict[str, Dataset]) -> list[Finding]:
    """Rows with a feature twin in the parts that inform training and selection: validation rows
    against training rows, test rows against training and validation rows — one finding per part,
    same-label and other-label twins counted together, its severity following the harm."""
    out = []
    for name, against in (("validation", ("train",)), ("test", ("train", "validation"))):
        rows, pools = parts[name], [parts[a] for a in against]
        twins = twin_mask(rows, pools)
        if not twins.any():
            continue
        same_label = members(rows.fingerprints, np.concatenate([p.fingerprints for p in pools]))
        suspicious, by_chance = unexplained(rows.features, twins, pools)
        out.append(
            _twin_finding(
                name, against, rows, twins, suspicious, by_chance, same_label, len(parts["test"])
            )
        )
    return out


def _twin_finding(name, against, rows, twins, suspicious, by_chance, same_label, n_test) -> Finding:
    where = " or ".join("training" if a == "train" else a for a in against)
    total, m = int(twins.sum()), int(suspicious.sum())
    labels = (
        f"{int((twins & same_label).sum())} with the same label, "
        f"{int((twins & ~same_label).sum())} with another"
    )
    if m == 0:
        return Finding(
            "duplicates",
            "info",
            "duplicates across splits",
            total,
            f"{total} {name} row(s) have the feature values of a {where} row ({labels}), as chance "
            "predicts from the columns' value frequencies (discrete data): legitimate repetition.",
            np.flatnonzero(twins)[:5].tolist(),
        )
    share = m / len(rows)
    # the test metric's own 95% uncertainty, at its widest (a proportion near 0.5)
    uncertainty = 0.98 / np.sqrt(max(n_test, 1))
    harmful = m >= 2 and share > uncertainty
    return Finding(
        "duplicates",
        "error" if harmful else "warning",
        "duplicates across splits",
        m,
        f"{m} {name} row(s) ({share:.1%}) have the feature values of a {where} row that chance "
        f"does not explain (about {by_chance:.2g} expected from the columns' value frequencies; "
        f"{total} twins in all, {labels}): entity recurrence or copied rows. Their score measures "
        f"memory, not generalisation; they could move the test metric by up to {share:.1%} of its "
        f"rows, {'more' if harmful else 'less'} than the test set's own uncertainty "
        f"(±{uncertainty:.1%}). Split by the entity they belong to (--groups COLUMN) or drop the "
        "duplicates before splitting; the one look also reports the metric on the test rows "
        "without twins.",
        np.flatnonzero(suspicious)[:5].tolist(),
    )


def near_duplicates(parts: dict[str, Dataset]) -> list[Finding]:
    features = Features(column_kinds=parts["train"].column_kinds).fit(parts["train"].features)
    train = torch.from_numpy(features.transform(parts["train"].features))
    if len(train) < 3 or train.shape[1] == 0:
        return []
    gen = np.random.default_rng(0)
    # one pass over the training rows answers every query: a probe of training rows (for the
    # typical distance, each excluding itself) and samples of the validation and test rows
    probe = gen.choice(len(train), size=min(NEAR_SAMPLE, len(train)), replace=False)
    picks = {
        name: gen.choice(len(parts[name]), size=min(NEAR_SAMPLE, len(parts[name])), replace=False)
        for name in ("validation", "test")
    }
    queries = [train[probe]] + [
        torch.from_numpy(features.transform(parts[name].features.iloc[pick]))
        for name, pick in picks.items()
    ]
    own = np.concatenate([probe, -np.ones(sum(len(p) for p in picks.values()), dtype=np.int64)])
    query = torch.cat(queries)
    distance = _nearest(query, train, own).sqrt().numpy()
    train_fps = parts["train"].feature_fingerprints
    twin = np.concatenate(
        [np.zeros(len(probe), dtype=bool)]
        + [
            members(parts[name].feature_fingerprints[pick], train_fps)
            for name, pick in picks.items()
        ]
    )
    probe_distance = distance[: len(probe)]
    typical = (
        float(np.median(probe_distance[probe_distance > 0])) if (probe_distance > 0).any() else 0.0
    )
    if typical == 0:
        return []
    # the distances that decide, again in float64: ‖a‖² + ‖b‖² − 2ab in float32 puts exact copies
    # up to 1e-2 apart on standardised rows (exact twins, same fingerprint, are the twins check's)
    near = np.flatnonzero((distance < 2 * NEAR_FACTOR * typical) & ~twin)
    if len(near):
        index = torch.from_numpy(near)
        closest = _nearest(query[index], train, own[near], keep_index=True)
        distance[near] = (query[index].double() - train[closest].double()).norm(dim=1).numpy()
    # rows scattered at random in d dimensions fall this close by chance with probability
    # 1 - exp(-ln2 * factor^d) (nearest-neighbour distances of a Poisson process, median-scaled):
    # sizeable in one or two dimensions, negligible in many
    chance = 1 - np.exp(-np.log(2) * NEAR_FACTOR ** train.shape[1])
    out, offset = [], len(probe)
    for name, pick in picks.items():
        d, exact = distance[offset : offset + len(pick)], twin[offset : offset + len(pick)]
        offset += len(pick)
        close = ~exact & (d > 0) & (d < NEAR_FACTOR * typical)
        share = close.mean() if len(close) else 0.0
        if share > 0.01 and share > 5 * chance:
            count = int(round(share * len(parts[name])))
            out.append(
                Finding(
                    "near_duplicates",
                    "warning",
                    "duplicates across splits",
                    count,
                    f"About {count} {name} row(s) ({share:.1%}) lie within {NEAR_FACTOR:g}x the "
                    f"typical nearest-neighbour distance of a training row ({typical:.3g}): near "
                    "copies (re-measured, rounded or augmented rows). Split by the entity they "
                    "come from (groups).",
                    pick[close][:5].tolist(),
                )
            )
    return out


def _nearest(
    query: torch.Tensor, pool: torch.Tensor, own: np.ndarray, keep_index: bool = False
) -> torch.Tensor:
    """Each query row's squared Euclidean distance to its nearest pool row (with ``keep_index``:
    that row's index instead), excluding pool row ``own[i]`` (-1: none), in blocks of pool rows (no
    N×N matrix)."""
    best = torch.full((len(query),), float("inf"))
    where = torch.zeros(len(query), dtype=torch.long)
    q2 = (query * query).sum(1, keepdim=True)
    own = torch.from_numpy(own)
    block = max(256, 2**22 // max(1, len(query)))
    for start in range(0, len(pool), block):
        part = pool[start : start + block]
        d2 = (
            torch.addmm((part * part).sum(1).unsqueeze(0), query, part.T, alpha=-2)
            .add_(q2)
            .clamp_min_(0)
        )
        inside = (own >= start) & (own < start + len(part))
        if inside.any():  # a training row is not its own neighbour
            d2[torch.nonzero(inside).flatten(), own[inside] - start] = float("inf")
        if not keep_index:
            best = torch.minimum(best, d2.min(1).values)
            continue
        value, index = d2.min(1)
        better = value < best
        best, where = torch.where(better, value, best), torch.where(better, index + start, where)
    return where if keep_index else best
