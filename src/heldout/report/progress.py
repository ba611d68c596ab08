"""What a user sees while training and searching: a live display on a terminal, one plain line
per epoch (or per batch of trials) anywhere else, or nothing.

A reporter has two methods, ``epoch(state)`` and ``batch(state)``, and ``close()``. The engine
calls ``epoch`` with the epoch, the epochs planned, the members still training, the population
size, the best validation loss so far and the seconds elapsed; the search calls ``batch`` with
trials done, the budget, the best value and its candidate, pruned and diverged counts and the
time left. ``make(mode)`` picks: ``live`` (rich, redrawn in place), ``plain`` (one line each,
never a carriage return), ``quiet``; ``auto`` is ``live`` on a terminal and ``plain`` otherwise.

>>> import io
>>> out = io.StringIO()
>>> r = make("plain", stream=out)
>>> r.epoch({"epoch": 3, "epochs": 10, "alive": 2, "members": 4, "best": 0.5, "seconds": 1.25})
>>> out.getvalue()
'epoch 3/10: 2 of 4 members training, best validation loss 0.5, 1.2 s, at most 2.9 s left\\n'
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

MODES = ("auto", "live", "plain", "quiet")


class Quiet:
    def epoch(self, state: dict) -> None:
        pass

    def batch(self, state: dict) -> None:
        pass

    def close(self) -> None:
        pass


class Plain(Quiet):
    """One line per report, flushed: for logs, pipes and CI."""

    def __init__(self, stream=None, epochs: bool = True):
        self.stream = stream or sys.stderr
        self.epochs = epochs

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def epoch(self, state: dict) -> None:
        if self.epochs:
            self._line(epoch_line(state))

    def batch(self, state: dict) -> None:
        self._line(batch_line(state))


class Live(Quiet):
    """A rich progress display redrawn in place: epochs of the current population, and trials."""

    def __init__(self, stream=None):
        self.console = Console(file=stream or sys.stderr, force_terminal=True)
        self.display = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self.display.start()
        self.epochs_task = None
        self.trials_task = None

    def epoch(self, state: dict) -> None:
        if self.epochs_task is None or state["epoch"] <= 1:
            if self.epochs_task is not None:
                self.display.remove_task(self.epochs_task)
            self.epochs_task = self.display.add_task("epochs", total=state["epochs"])
        self.display.update(
            self.epochs_task,
            completed=state["epoch"],
            total=state["epochs"],
            description=f"epochs: {state['alive']}/{state['members']} members training, "
            f"best val loss {state['best']:.4g}",
        )

    def batch(self, state: dict) -> None:
        if self.trials_task is None:
            self.trials_task = self.display.add_task("trials", total=state["budget"])
        self.display.update(
            self.trials_task,
            completed=state["trials"],
            total=state["budget"],
            description=batch_line(state),
        )

    def close(self) -> None:
        self.display.stop()


def make(mode: str = "auto", stream=None, epochs: bool = True):
    """The reporter for ``mode`` (see the module docstring)."""
    if mode not in MODES:
        raise ValueError(f"progress mode must be one of {MODES}, got {mode!r}")
    stream = stream or sys.stderr
    if mode == "auto":
        mode = "live" if getattr(stream, "isatty", lambda: False)() else "plain"
    return {"live": lambda: Live(stream), "plain": lambda: Plain(stream, epochs), "quiet": Quiet}[
        mode
    ]()


def epoch_line(state: dict) -> str:
    # time left: the epochs still planned at the pace so far (members that stop early make it less)
    left = state["seconds"] / max(state["epoch"], 1) * (state["epochs"] - state["epoch"])
    return (
        f"epoch {state['epoch']}/{state['epochs']}: {state['alive']} of {state['members']} "
        f"members training, best validation loss {state['best']:.4g}, {state['seconds']:.1f} s, "
        f"at most {left:.1f} s left"
    )


def batch_line(state: dict) -> str:
    best = (
        "none yet" if state["best"] is None else f"{state['best']:.4g} ({state['best_candidate']})"
    )
    left = "" if state.get("time_left") is None else f", {state['time_left']:.0f} s left"
    return (
        f"trials {state['trials']}/{state['budget']} (last batch: {state['batch']} "
        f"{state['candidate']}): best {state['metric']} {best}, pruned {state['pruned']}, "
        f"diverged {state['diverged']}, {state['elapsed']:.1f} s{left}"
    )
