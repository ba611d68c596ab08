"""A time budget for a whole run (`heldout run --time-budget`)."""

from __future__ import annotations

import time
from dataclasses import replace

from .._util.declared import SECONDS

TIME_BUDGET = replace(SECONDS, hint="Try --time-budget 60.")


class Deadline:
    """A time budget for a whole run: what is left, and what was left out to keep it."""

    def __init__(self, seconds: float | None):
        TIME_BUDGET.check("time_budget", seconds)
        self.seconds, self.started, self.left_out = seconds, time.monotonic(), []

    def used(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float:
        return float("inf") if self.seconds is None else max(0.0, self.seconds - self.used())

    def fits(self, part: str, estimate: float) -> bool:
        """Whether ``part``, estimated at ``estimate`` seconds, fits what is left (else it is
        noted as left out)."""
        if estimate <= self.left():
            return True
        self.left_out.append(part)
        return False
