"""``evaluate_run``: the later look at a trained run directory, in the ledger its test set was
sealed in (``config.json``'s ``ledger``), from whatever working directory."""

from __future__ import annotations

from ..errors import ConfigError, DataError, LedgerError
from ..ledger.ledger import Ledger
from ..model.model import Model
from ..rundir.artifacts import Artifacts
from ..seal.evaluate import Evaluation
from .data import open_data


def evaluate_run(run_dir, *, strict: bool = False) -> Evaluation:
    """Re-create the run's split in the ledger the run recorded, check it is the one trained on, and
    evaluate the bundle once (the look is counted in that ledger)."""
    artifacts = Artifacts.open(run_dir)
    config = artifacts.config()
    if config.is_population:
        raise ConfigError(
            f"{str(run_dir)!r} holds {config.members} members and no single model. Choose one "
            "configuration on its validation scores (members.csv), train it alone with "
            "`heldout train` and evaluate that run."
        )
    data = open_data(config.data, recorded_ledger(artifacts))
    the_split = data.split
    recorded = config.split["test_fingerprint"]
    if the_split.test.seal != recorded:
        raise DataError(
            f"The data behind {str(run_dir)!r} changed since training: its test set is now "
            f"{the_split.test.seal}, but the model was trained beside test set {recorded}. "
            "Restore the original data, or train again."
        )
    result = data.look(Model.load(artifacts.model_path), strict=strict)
    artifacts.write_evaluation(result.to_dict())
    return result


def recorded_ledger(artifacts: Artifacts) -> Ledger:
    """The ledger a run directory's test set was sealed in (the default one for a folder from before
    it was recorded). A recorded ledger that is gone is an error: a fresh one would count the next
    look as the first. A recorded database is reached with the password libpq finds (PGPASSWORD,
    ~/.pgpass) or the one in ``$HELDOUT_LEDGER``: a run directory records no password."""
    location = artifacts.config().ledger
    if location is None:
        return Ledger()
    ledger = Ledger(location)
    if not ledger.exists():
        missing = (
            f"no {ledger.path.name}"
            if ledger.path is not None
            else "the database holds no ledger tables"
        )
        raise LedgerError(
            f"The run directory {str(artifacts.path)!r} was sealed in the ledger at {location!r}, "
            f"but there is no ledger there now ({missing}). Counting this look in a new ledger "
            "would report it as the first, whatever came before. Restore that folder (or "
            'database); if the ledger was moved, write its new location as "ledger" in '
            f"{str(artifacts.path / 'config.json')!r}."
        )
    return ledger
