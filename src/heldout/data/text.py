"""Strings with too many distinct values to one-hot, and free text: tf-idf + truncated SVD.

As skrub's ``StringEncoder`` does: each value is cut into character 3- and 4-grams within word
boundaries (scikit-learn's ``char_wb`` analyzer), weighted by tf-idf over the training rows'
``VOCABULARY`` most frequent n-grams, and projected onto the first ``COMPONENTS`` directions
of a truncated SVD of the training rows; the projections are centred and divided by one
common scale (so the block's components keep their relative sizes, with an average variance
of 1). Similar strings ("Police Officer II", "police officer") land close together.

scikit-learn fits it; what it learned is kept as plain numbers and strings — the vocabulary,
its idf weights, the SVD components, the centre and the scale — and :func:`transform` computes
the encoding from those alone, with numpy, so loading a bundle runs no code from it.

>>> ngrams("Big dog")
[' bi', 'big', 'ig ', ' big', 'big ', ' do', 'dog', 'og ', ' dog', 'dog ']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import DataError

NGRAMS = (3, 4)  # character n-gram lengths, within word boundaries
COMPONENTS = 30  # SVD directions kept (fewer when the training rows allow fewer)
VOCABULARY = 20_000  # n-grams kept, the most frequent in training: bounds the bundle's size
MISSING_TOKEN = (
    "<missing>"  # the token of a missing value in the ONNX graph's input (never an n-gram)
)


def ngrams(text: str) -> list[str]:
    """The lowercased text's character n-grams within word boundaries, as scikit-learn's
    ``char_wb`` analyzer cuts them: each word padded with a space on both sides; a word shorter
    than an n-gram length gives itself once."""
    out = []
    for word in text.lower().split():
        word = f" {word} "
        for n in range(NGRAMS[0], NGRAMS[1] + 1):
            out += [word[i : i + n] for i in range(max(1, len(word) - n + 1))]
            if len(word) <= n:
                break
    return out


def documents(values: pd.Series) -> tuple[list[str], np.ndarray]:
    """Each value as text ('' where missing), and where values are missing."""
    missing = values.isna().to_numpy()
    return ["" if m else str(v) for v, m in zip(values.astype(object).tolist(), missing)], missing


def fit(name: str, values: pd.Series) -> dict:
    """The text treatment of a string column, learned from its training values."""
    from sklearn.decomposition import (
        TruncatedSVD,
    )  # scikit-learn fits; transform needs only numbers
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs, missing = documents(values)
    vectorizer = TfidfVectorizer(analyzer=ngrams, max_features=VOCABULARY)
    try:
        tfidf = vectorizer.fit_transform(docs)
    except ValueError:  # an empty vocabulary: no value has a word
        tfidf = None
    k = 0 if tfidf is None else min(COMPONENTS, tfidf.shape[1] - 1, len(docs) - 1)
    if k < 1:
        raise DataError(
            f"Column {name!r} is read as text but its training values hold too few words to encode "
            "(fewer than two distinct character n-grams). Read it as categorical "
            "(column_kinds={'" + name + "': 'categorical'}) or drop it."
        )
    svd = TruncatedSVD(n_components=k, random_state=0).fit(tfidf)
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
    col = {
        "name": name,
        "kind": "text",
        "treatment": "text",
        "vocabulary": vocabulary,
        "idf": vectorizer.idf_.astype(np.float64),
        "components": svd.components_.astype(np.float64),
        "indicator": bool(missing.any()),
    }
    z = project(col, docs)
    col["mean"] = z.mean(0).tolist()
    col["scale"] = float(np.sqrt(z.var(0).mean())) or 1.0
    return col


def project(col: dict, docs: list[str]) -> np.ndarray:
    """The SVD projections ``[n, k]`` of the documents' l2-normalised tf-idf vectors, from the
    stored vocabulary, idf weights and components (what scikit-learn's ``transform`` gives)."""
    if "components" not in col:
        raise DataError(
            f"The text encoder of column {col['name']!r} has no components: the bundle was read "
            "without its tensors. Load it with heldout.load_model(path)."
        )
    index = {g: i for i, g in enumerate(col["vocabulary"])}
    unique, codes = np.unique(
        np.asarray(docs, dtype=object), return_inverse=True
    )  # repeated values once
    rows, columns = [], []
    for r, doc in enumerate(unique):
        hits = [index[g] for g in ngrams(doc) if g in index]
        rows += [r] * len(hits)
        columns += hits
    counts = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(len(unique), len(index))
    )
    weighted = counts.multiply(col["idf"][None, :]).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(1))).ravel()
    weighted = sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ weighted
    return np.asarray(weighted @ col["components"].T)[codes.ravel()]


def names(col: dict) -> list[str]:
    out = [
        f"{col['name']}.text{i}"
        for i in range(len(col["components"] if "components" in col else col["mean"]))
    ]
    return out + ([f"{col['name']}=<missing>"] if col["indicator"] else [])


def transform(col: dict, values: pd.Series) -> np.ndarray:
    docs, missing = documents(values)
    z = (project(col, docs) - np.asarray(col["mean"])) / col["scale"]
    return np.hstack([z, missing[:, None].astype(np.float64)]) if col["indicator"] else z


def tokens(values: pd.Series) -> np.ndarray:
    """The ONNX graph's input for a text column: each value's n-grams ``[n, longest]``, padded with
    '' (a missing value is the one token ``<missing>``)."""
    docs, missing = documents(values)
    cut = [[MISSING_TOKEN] if m else ngrams(d) for d, m in zip(docs, missing)]
    out = np.full((len(cut), max([1, *map(len, cut)])), "", dtype=object)
    for r, grams in enumerate(cut):
        out[r, : len(grams)] = grams
    return out
