"""The run directory as a declared format (:mod:`.artifacts`), the data spec, the procedures behind
`heldout train`, `tune` and `run` (:mod:`.procedures`), and tracking."""


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
