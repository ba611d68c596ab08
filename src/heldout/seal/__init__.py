"""The test set sealed: the split (:mod:`.split`), cross-validation folds, the :class:`~.sealed.Sealed`
test set, the hash-chained ledger (:mod:`.ledger`: its chain in :mod:`._chain`, kept in a SQLite file by
:mod:`._sqlite` or in PostgreSQL by :mod:`._postgres`), the training gate (:mod:`.guard`) and the one look
(:mod:`.evaluate`)."""


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
