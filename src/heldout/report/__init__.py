"""What a user sees: the report (:mod:`.page`) with its figures (:mod:`.plots`) and the descent
picture (:mod:`.descent`), and the progress of training and searching (:mod:`.progress`)."""

from .page import Page, report

__all__ = ["Page", "report"]


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
