"""The gate every training entry point passes: no sealed test row reaches training or selection.

Two ways in are closed. Handing a :class:`~heldout.seal.sealed.Sealed` test set to training raises
at once. Rows that belong to a test set sealed earlier, in this process or any other (the ledger
keeps every sealed test set's row fingerprints), raise when they appear among training or validation
rows — e.g. test rows copied back into a training table, or a re-split that moves them across,
whatever the order of the table's columns or the columns added to it (rows are compared on the
sealed set's columns). A test set is released only by retiring it in the ledger, which records the
reason."""

from __future__ import annotations

from ..data.dataset import Dataset
from ..errors import ConfigError, LeakageError
from .sealed import Sealed
from .split import Split
from .twins import copied_test_rows  # the leakage check's own definition of a copy


def training_split(value, caller: str) -> Split:
    """``value`` as a Split fit for training, or the error that says why it is not."""
    if isinstance(value, Sealed):
        raise LeakageError(
            f"{caller}() was handed the sealed test set ({value!r}). The test set is never used to "
            f"train, tune or select: pass the whole split, {caller}(split, ...), which trains on "
            "split.train and selects on split.validation."
        )
    if isinstance(value, Dataset):
        raise ConfigError(
            f"{caller}() takes a Split, got a Dataset. Seal a test set first: "
            f"{caller}(heldout.split(dataset), ...)."
        )
    if not isinstance(value, Split):
        raise ConfigError(
            f"{caller}() takes a Split from heldout.split(...), got {type(value).__name__}."
        )
    for part, rows in (("training", value.train), ("validation", value.validation)):
        refuse_sealed_rows(rows, part, own_seal=value.test.seal, ledger=value.test.ledger)
    if (
        value.test_given
    ):  # within one table, twins across parts are the leakage check's, judged by harm
        refuse_copied_test_rows(value)
    return value


def refuse_copied_test_rows(split: Split) -> None:
    """Rows of the split's own test set copied into its training or validation rows (a test file
    whose rows are also in the training file) are refused, unless chance explains them."""
    for part, positions in copied_test_rows(split.train, split.validation, split.test).items():
        raise LeakageError(
            f"{len(positions)} {part} row(s) (positions "
            f"{positions[:8].tolist()}{' ...' if len(positions) > 8 else ''}) are identical to "
            f"rows of this split's test set {split.test.seal} — features and label — and chance "
            "does not explain it: they were copied. Training or selecting on them would score "
            "the model on rows it has seen. Remove them from the training table (or from the "
            "test table), then split again."
        )


def refuse_sealed_rows(rows: Dataset, part: str, *, own_seal: str, ledger) -> None:
    found = ledger.sealed_overlap(
        rows.features, rows.target, fingerprints=rows.fingerprints, own_seal=own_seal
    )
    for finding in found:
        positions = finding["positions"]
        info = finding["info"]
        raise LeakageError(
            f"{len(positions)} {part} row(s) (positions "
            f"{positions[:8].tolist()}{' ...' if len(positions) > 8 else ''}) belong to test set "
            f"{finding['seal']}, sealed from dataset {info.get('dataset')!r} (strategy "
            f"{info.get('strategy')!r}, seed {info.get('seed')}). Training or selecting on them "
            "would make that test set's estimate optimistic. Remove those rows, or split the "
            "original data with the same seed and strategy as before. To release that test set "
            f"on purpose, retire it: `heldout ledger --retire {finding['seal']} --reason '...'` "
            "(the ledger records it)."
        )
