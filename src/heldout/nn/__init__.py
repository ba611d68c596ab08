"""The numbers: the task (:mod:`.task`), model families (:mod:`.family`, :mod:`.dense`,
:mod:`.module`), losses, optimisers (``init``/``update`` pairs) and metrics."""


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
