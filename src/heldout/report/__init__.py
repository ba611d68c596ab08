"""What a user sees: the report (:mod:`.page`) with its figures (:mod:`.plots`) and the descent
picture (:mod:`.descent`), and the progress of training and searching (:mod:`.progress`)."""

from .page import Page, report

__all__ = ["Page", "report"]
