"""Training: settings declared once (:mod:`.config`), grids, the population state (:mod:`.state`),
rows and batches, the engine loop, ``train_population`` and the guarded ``fit`` over it, and the
``Run`` result."""


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
