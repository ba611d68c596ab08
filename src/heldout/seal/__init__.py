"""The test set sealed: the split (:mod:`.split`, :mod:`.hashed`), cross-validation folds, the
:class:`~.sealed.Sealed` test set, the training gate (:mod:`.gate`), the definition of a twin row
(:mod:`.twins`) and the one look (:mod:`.evaluate`). The ledger the seals and looks are recorded
in is :mod:`heldout.ledger`."""


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
