"""Tables larger than memory: Parquet read in record batches (:mod:`.source`), split row by row and
surveyed in one pass (:mod:`.survey`: the test rows sealed by their fingerprints, the preprocessing
learned from a seeded sample), trained on in shuffled batches (:mod:`.rows`), and scored at the one
look batch by batch (:mod:`.look`)."""


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
