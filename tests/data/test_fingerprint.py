"""The row fingerprint's definition, pinned: the ledger stores fingerprints of sealed rows, so a
change of definition must be a deliberate new FINGERPRINT_VERSION, never a library upgrade's
accident."""

import numpy as np
import pandas as pd

from heldout.data.fingerprint import FINGERPRINT_VERSION, row_fingerprints, set_fingerprint


def mixed():
    """Ints, floats (with -0.0, NaN and a huge value), strings (with None, non-ASCII and ''), bools,
    a categorical."""
    frame = pd.DataFrame(
        {
            "i": pd.Series([1, -2, 0, 3], dtype="int64"),
            "f": [0.5, -0.0, np.nan, 1e300],
            "s": ["a", None, "é", ""],
            "b": [True, False, True, False],
            "c": pd.Series(["x", "y", None, "x"], dtype="category"),
        }
    )
    return frame, pd.Series([0, 1, 1, 0])


def test_golden_values_of_version_2():
    frame, target = mixed()
    assert FINGERPRINT_VERSION == 2
    assert row_fingerprints(frame, target).dtype == np.uint64
    assert row_fingerprints(frame, target).tolist() == [
        1603592002057745323,
        8784649199983568868,
        3801456992886465989,
        12779932705659136621,
    ]
    assert row_fingerprints(frame).tolist() == [
        5075171338464427883,
        18108225833028904934,
        13125033625931802055,
        16251512042065819181,
    ]
    assert set_fingerprint(row_fingerprints(frame, target)) == "fcf0c4ce6ebd8090"


def test_column_order_dtypes_and_zero_signs_do_not_change_a_row():
    frame, target = mixed()
    expected = row_fingerprints(frame, target)
    assert (row_fingerprints(frame[["c", "b", "s", "f", "i"]], target) == expected).all()
    same = frame.assign(
        i=frame["i"].astype("float32"),
        f=frame["f"].where(frame["f"] != 0, 0.0),
        c=frame["c"].astype(object),
    )
    assert (row_fingerprints(same, target.astype(float)) == expected).all()
    # but which column holds a value, and the values themselves, do
    assert (row_fingerprints(frame.rename(columns={"i": "j"}), target) != expected).all()
    assert (row_fingerprints(frame.assign(i=frame["i"] + 1), target) != expected).all()
    assert (row_fingerprints(frame, target + 1) != expected).all()
