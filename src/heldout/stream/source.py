"""``Source``: a Parquet file, a folder of them or a glob, read in record batches, never whole.

The table is a ``pyarrow.dataset``; its *pieces* are the row groups of its files, in file-name
order then row-group order. Reading a piece gives a pandas frame of that row group alone (only
the columns asked for), so memory holds one row group at a time, however large the table. The
pieces' order is fixed, so a piece's number names the same rows in every pass and every process;
:mod:`heldout.stream.rows` shuffles the order in which they are read.

>>> import tempfile, pandas as pd
>>> folder = tempfile.mkdtemp()
>>> table = pd.DataFrame({"x": range(10), "y": [0, 1] * 5})
>>> table.to_parquet(f"{folder}/a.parquet", row_group_size=4)
>>> source = Source(folder)
>>> len(source), source.pieces, source.columns
(10, 3, ['x', 'y'])
>>> source.read(2, ["x"])["x"].tolist()
[8, 9]
"""

from __future__ import annotations

import glob
from pathlib import Path

import pandas as pd

from ..errors import DataError

SUFFIXES = (".parquet", ".pq")


class Source:
    """A Parquet table read a row group at a time."""

    def __init__(self, path: str | Path):
        import pyarrow.dataset as pads

        self.path = str(path)
        self.files = files(self.path)
        try:
            self._dataset = pads.dataset(self.files, format="parquet")
            self._pieces = [
                group
                for fragment in self._dataset.get_fragments()
                for group in fragment.split_by_row_group()
            ]
            self.counts = [sum(g.num_rows for g in piece.row_groups) for piece in self._pieces]
        except Exception as exc:  # pyarrow raises several types for a damaged or foreign file
            raise DataError(
                f"Could not read {self.path!r} as Parquet: {exc}. Check that every file is "
                "complete Parquet with the same columns."
            ) from None
        self.columns = [str(name) for name in self._dataset.schema.names]
        self.name = (
            Path(self.files[0]).parent.name if len(self.files) > 1 else Path(self.files[0]).stem
        )

    def __len__(self) -> int:
        return sum(self.counts)

    def __repr__(self) -> str:
        return f"Source({self.path!r}: {len(self.files)} file(s), {self.pieces} row groups)"

    @property
    def pieces(self) -> int:
        return len(self._pieces)

    def read(self, piece: int, columns: list[str] | None = None) -> pd.DataFrame:
        """The rows of piece ``piece`` (its columns ``columns``, default all) as pandas."""
        return self._pieces[piece].to_table(columns=columns).to_pandas()

    def head(self, rows: int) -> pd.DataFrame:
        """The first ``rows`` rows (column kinds are read from them, as from the first rows of a
        CSV), read a row group at a time (``pyarrow.dataset``'s own ``head`` reads ahead whole
        files)."""
        frames, held = [], 0
        for piece in range(self.pieces):
            if held >= rows:
                break
            frames.append(self.read(piece))
            held += len(frames[-1])
        return pd.concat(frames, ignore_index=True).iloc[:rows]


# a Parquet table is streamed when pandas would take more than this share of the free memory
MEMORY_SHARE = 0.25


def streaming_reason(path: str) -> str | None:
    """Why the table at ``path`` should be streamed rather than read whole (None when it fits): a
    folder or glob of Parquet files, or a Parquet file whose pandas form — estimated from its
    metadata as twice its uncompressed size — would take more than a quarter of the free memory."""
    given = Path(path)
    if given.is_dir() or (any(ch in path for ch in "*?[") and not given.exists()):
        return (
            f"{path!r} names several Parquet files (a folder or a glob): "
            "they are read batch by batch"
        )
    if given.suffix.lower() not in SUFFIXES or not given.is_file():
        return None
    import pyarrow.parquet as pq

    from ..train.memory import available_bytes, readable

    try:
        meta = pq.ParquetFile(given).metadata
    except Exception:  # not Parquet after all: reading it whole says what is wrong
        return None
    estimate = 2 * sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    free = available_bytes()
    if estimate > MEMORY_SHARE * free:
        return (
            f"{path!r} would take about {readable(estimate)} in memory, more than a quarter of the "
            f"{readable(free)} free: it is read batch by batch"
        )
    return None


def files(path: str) -> list[str]:
    """The Parquet files a path names: the file, the folder's ``*.parquet`` files (recursively), or
    a glob's matches, sorted by name."""
    given = Path(path)
    if given.is_dir():
        found = sorted(
            str(p) for p in given.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()
        )
    elif any(ch in path for ch in "*?["):
        found = sorted(p for p in glob.glob(path, recursive=True) if Path(p).is_file())
    elif given.is_file():
        found = [str(given)]
    else:
        raise DataError(
            f"Data not found: {path!r}. Give a Parquet file, a folder of Parquet files or a glob "
            "such as 'data/*.parquet' (relative to " + repr(str(Path.cwd())) + ")."
        )
    if not found:
        raise DataError(
            f"No Parquet files in {path!r}. Streaming reads .parquet files; convert the table "
            "first, e.g. pandas.read_csv(...).to_parquet(...)."
        )
    return found
