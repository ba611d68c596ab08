"""The text encoder: fitted by scikit-learn, computed from its stored numbers alone — and equal to
scikit-learn's own transform (skrub's StringEncoder recipe: char_wb 3-4-gram tf-idf + truncated
SVD)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from heldout import DataError
from heldout.data import text
from helpers import dated_table

ODD = [
    "a",
    "ab",
    "abc",
    "  Two  spaces ",
    "UPPER lower",
    "tab\there",
    "ünï cödé",
    "x y z",
    "",
    "a-b_c.d",
    "déjà-vu 42",
]


def test_the_ngrams_are_scikit_learns_char_wb():
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=text.NGRAMS).build_analyzer()
    for value in ODD + dated_table(50)["title"].dropna().tolist():
        assert text.ngrams(value) == analyzer(value), value


def test_the_stored_numbers_give_scikit_learns_transform_on_the_training_rows():
    values = dated_table(800)["title"]
    col = text.fit("title", values)
    docs = values.fillna("").astype(str).tolist()
    tfidf = TfidfVectorizer(
        analyzer="char_wb", ngram_range=text.NGRAMS, max_features=text.VOCABULARY
    )
    svd = TruncatedSVD(n_components=text.COMPONENTS, random_state=0)
    expected = svd.fit_transform(tfidf.fit_transform(docs))
    assert col["vocabulary"] == tfidf.get_feature_names_out().tolist()
    assert np.allclose(text.project(col, docs), expected, atol=1e-10)
    assert np.allclose(text.project(col, ODD), svd.transform(tfidf.transform(ODD)), atol=1e-10)
    out = text.transform(col, values)
    assert np.allclose(
        out[:, :-1], (expected - expected.mean(0)) / np.sqrt(expected.var(0).mean()), atol=1e-10
    )
    assert (out[:, -1] == values.isna()).all()


def test_the_state_is_plain_numbers_and_strings():
    col = text.fit("title", dated_table(200)["title"])
    assert all(isinstance(g, str) for g in col["vocabulary"])
    assert col["idf"].dtype == np.float64 and col["components"].shape == (
        text.COMPONENTS,
        len(col["vocabulary"]),
    )
    assert isinstance(col["scale"], float) and all(isinstance(m, float) for m in col["mean"])


def test_few_rows_give_fewer_components_and_no_words_a_clear_error():
    col = text.fit("t", pd.Series(["alpha beta", "gamma", "delta epsilon", "beta gamma"]))
    assert len(col["mean"]) == 3  # rows - 1
    with pytest.raises(DataError, match="too few words.*'categorical'"):
        text.fit("t", pd.Series(["", " ", None]))


def test_the_onnx_tokens_pad_rows_and_mark_missing_values():
    tokens = text.tokens(pd.Series(["ab", None, "abcd"]))
    assert tokens.tolist() == [
        [" ab", "ab ", " ab ", "", "", "", ""],
        ["<missing>", "", "", "", "", "", ""],
        [" ab", "abc", "bcd", "cd ", " abc", "abcd", "bcd "],
    ]
