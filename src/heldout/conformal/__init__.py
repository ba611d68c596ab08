"""Conformal prediction in one home: the arithmetic of scores, intervals, sets and coverage
(:mod:`.scores`), and the policy of which model scores the validation rows (:mod:`.policy`)."""


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
