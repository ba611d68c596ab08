"""The ledger: an append-only, hash-chained record of every look at a sealed test set
(:mod:`.ledger`), its chain (:mod:`.chain`), behind one storage interface (:mod:`.storage`) kept
in a SQLite file (:mod:`.sqlite`) or in PostgreSQL shared by several hosts (:mod:`.postgres`)."""


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
