"""Data in: tables and their datasets (:mod:`.dataset`), the bundled datasets, row fingerprints, and
the preprocessing learned from training rows (:mod:`.features`)."""


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
