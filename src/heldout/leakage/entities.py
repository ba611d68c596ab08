"""Entities on both sides of a split: rows of one subject, patient, customer or store in training
and in test, so the test score measures recognition of the entity, not generalisation.

With a ``groups`` column, rows whose group also has training rows are counted. Without one, a
column is reported as an entity code when its values repeat within the data, appear on both
sides, and either its name says "entity" (:data:`ENTITY_WORDS`, in a few languages) or its
structure does: near-equal counts per value (a repeated-measures design) and another many-valued
feature that is (nearly) constant within each value — an attribute of the entity, such as a
subject's age or a store's size. A design factor such as the day of a study explains the outcome,
not the covariates, and is not reported. Identifier-like columns (about one value per row) are
reported too.

>>> sorted(name_tokens("PatientID")), sorted(name_tokens("n_hogar"))
(['id', 'patient'], ['hogar', 'n'])
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from .finding import Finding

ENTITY_WORDS = frozenset(
    """
id ids ident identifier subject subj patient user customer cust client household hh store shop site
person
individual indiv participant member account firm company hospital clinic student pupil child mother
worker
employee respondent visitor driver player animal herd farm mouse rat dog cow chick rabbit device
machine session
doctor physician
sujeto paciente usuario cliente hogar tienda sitio persona individuo participante miembro empresa
alumno
estudiante domicilio loja pessoa usuário aluno
sujet utilisateur ménage menage magasin personne individu membre entreprise élève eleve
proband nutzer benutzer kunde haushalt geschäft geschaeft laden teilnehmer mitglied firma schüler
soggetto paziente utente negozio partecipante azienda
patiënt gebruiker klant huishouden winkel
""".split()
)  # words that name an entity and little else ("school" is also years of schooling)
MIN_CODES = 5  # fewer distinct values: a category, not an entity
EVEN_COUNTS = 0.35  # coefficient of variation of rows per value at most this: a balanced design
CONSTANT_WITHIN = (
    0.9  # a many-valued feature the codes explain this well is an attribute of the entity
)


def entities(parts: dict[str, Dataset]) -> list[Finding]:
    train = parts["train"]
    if train.groups is not None:
        return _groups_on_both_sides(parts)
    out = []
    for column in train.features.columns:
        values = train.features[column]
        if _id_like(values):
            out.append(
                Finding(
                    "entities",
                    "warning",
                    "non-independence between train and test",
                    len(values),
                    f"Column {column!r} looks like an identifier (about one value per row). If "
                    f"rows of one entity repeat, load with groups={column!r} and split with "
                    f"strategy='group' (--groups {column}); if it is a row number, drop it.",
                    [column],
                )
            )
        elif (reason := _entity_code(column, train, parts["test"])) is not None:
            shared = parts["test"].features[column].isin(set(values.dropna().tolist())).to_numpy()
            out.append(
                Finding(
                    "entities",
                    "warning",
                    "non-independence between train and test",
                    int(shared.sum()),
                    f"Column {column!r} looks like an entity code ({reason}): {int(shared.sum())} "
                    f"test row(s) ({shared.mean():.1%}) belong to values that also have training "
                    "rows, so the test score partly measures recognising the entity. Split by "
                    f"it: --groups {column} (load(..., groups={column!r})).",
                    [column],
                )
            )
    return out


def name_tokens(name: str) -> set[str]:
    """A column name's words: split at non-letters and at camelCase boundaries, lower-cased."""
    spaced = re.sub(r"(?<=[a-zà-ÿ])(?=[A-Z])", " ", str(name))
    return {t for t in re.split(r"[^0-9a-zà-ÿ]+", spaced.lower()) if t}


def _names_an_entity(name: str) -> bool:
    tokens = name_tokens(name)
    return bool(tokens & ENTITY_WORDS) or any(
        t.endswith(("id", "no", "nr")) and t[:-2] in ENTITY_WORDS for t in tokens
    )


def _entity_code(column: str, train: Dataset, test: Dataset) -> str | None:
    """Why ``column`` looks like an entity code, or None."""
    values = train.features[column].dropna()
    if values.dtype.kind == "f" and not (values == values.round()).all():
        return None  # measurements
    if (
        values.dtype.kind not in "iuOSUb"
        and not pd.api.types.is_string_dtype(values)
        and values.dtype.kind != "f"
    ):
        return None
    counts = values.value_counts()
    if len(counts) < MIN_CODES or (counts >= 2).mean() < 0.8 or len(counts) > len(values) / 2:
        return None  # too few values to be entities, or values that do not repeat
    test_codes = set(test.features[column].dropna().tolist())
    if not test_codes or len(test_codes & set(counts.index.tolist())) < 0.5 * len(test_codes):
        return None  # the test rows hold other entities: no recurrence across the split
    if _names_an_entity(column):
        repeats = len(values) / len(counts)
        return f"its name, and {len(counts)} values repeating about {repeats:.1f} times each"
    spread = counts.std(ddof=0) / counts.mean()
    if spread > EVEN_COUNTS:
        return None
    explained, attribute = _attribute(values, train, column)
    if explained >= CONSTANT_WITHIN:
        return (
            f"{len(counts)} values with near-equal counts, and {attribute!r} is constant within "
            f"each of them ({explained:.0%} of its variance lies between the values): an "
            "attribute of the entity"
        )
    return None


def _attribute(codes: pd.Series, train: Dataset, column: str) -> tuple[float, str | None]:
    """The many-valued numeric feature whose variance the codes explain best (η²), and that
    share."""
    others = train.features.drop(columns=[column]).select_dtypes("number")
    best, name = 0.0, None
    for other in others.columns:
        x = others[other].loc[codes.index].astype(float)
        keep = x.notna()
        if keep.sum() < 3 or x[keep].nunique() < MIN_CODES or x[keep].var() == 0:
            continue
        centred = x[keep] - x[keep].mean()
        between = x[keep].groupby(codes[keep]).transform("mean") - x[keep].mean()
        share = float((between**2).sum() / (centred**2).sum())
        if share > best:
            best, name = share, other
    return best, name


def _groups_on_both_sides(parts: dict[str, Dataset]) -> list[Finding]:
    seen = set(parts["train"].groups.tolist())
    out = []
    for name in ("validation", "test"):
        shared = parts[name].groups.isin(seen).to_numpy()
        if shared.any():
            out.append(
                Finding(
                    "entities",
                    "error",
                    "non-independence between train and test",
                    int(shared.sum()),
                    f"{int(shared.sum())} {name} row(s) ({shared.mean():.1%}) belong to groups "
                    "that also have training rows. Split with strategy='group'.",
                    np.flatnonzero(shared)[:5].tolist(),
                )
            )
    return out


def _id_like(values: pd.Series) -> bool:
    if len(values) < 50:
        return False
    kind = values.dtype.kind
    if kind in "fc":
        v = values.dropna()
        if not (v == v.round()).all():
            return False  # measurements are unique because they are continuous, not identifiers
    elif kind not in "iuOSU" and not pd.api.types.is_string_dtype(values):
        return False
    unique = values.nunique(dropna=True) / len(values)
    if unique >= 0.95:
        return True
    if kind in "iu":
        diffs = np.diff(np.sort(values.to_numpy()))
        return unique >= 0.5 and len(diffs) > 0 and (diffs == 1).mean() > 0.9
    return False
