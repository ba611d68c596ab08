"""The run directory, a declared format: which files it holds (:mod:`.artifacts`), the data it was
run on (:mod:`.spec`) and the lock that keeps one process in it (:mod:`.lock`). Written by the
procedure (:mod:`heldout.workflow`), read by the report (:mod:`heldout.report`)."""


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
