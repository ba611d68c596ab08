"""One root exception, typed children, and the warning heldout raises when a sealed test set is
reopened.

Every user mistake raises a subclass of :class:`HeldoutError` whose message says what was wrong,
shows the value, and says how to fix it. The CLI prints that message alone (no traceback unless
``HELDOUT_DEBUG=1``).
"""

from __future__ import annotations


class HeldoutError(Exception):
    """Root of every error heldout raises on purpose."""


class DataError(HeldoutError):
    """The data cannot be used as given: missing file, missing column, bad values."""


class ConfigError(HeldoutError):
    """A setting is invalid: unknown name, value out of range, options that contradict each
    other."""


class BudgetError(ConfigError):
    """Training cannot fit the memory budget, even one member at a time."""


class LeakageError(HeldoutError):
    """Test rows would reach training, tuning or selection."""


class SealedError(HeldoutError):
    """A sealed test set was used in a way that is refused (e.g. a second look in strict mode)."""


class DivergedError(HeldoutError):
    """Training diverged and the caller asked for that to be an error."""


class BundleError(HeldoutError):
    """A model file is missing, truncated, tampered with, or not a heldout bundle."""


class LedgerError(HeldoutError):
    """The ledger cannot be read, or its hash chain is broken."""


class HeldoutWarning(UserWarning):
    """Something legal but worth a second look, such as a second evaluation on the same test
    rows."""
