"""The search on validation data: candidates and spaces (:mod:`.space`), Optuna over populations
(:mod:`.tune`), and its result with the refit (:mod:`.result`)."""


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
