"""Per-step tensors that reuse memory instead of page-faulting: glibc's malloc thresholds.

glibc serves allocations above a (dynamic) threshold with fresh ``mmap`` pages and returns freed
memory at the top of the heap to the system. A training step allocates the same few
megabyte-sized tensors thousands of times; with the defaults each of them can come back as fresh
pages, paying a page fault per 4 KiB on first touch (benchmarks/MEASUREMENTS.md, "Allocator
thresholds"). When training starts, heldout raises the mmap
threshold to 64 MiB and the trim threshold to 256 MiB, the tuning PyTorch's CPU performance
guide describes: tensors under 64 MiB are reused from the heap, and up to 256 MiB of freed memory
may stay with the process. Larger allocations (the data itself) are unaffected.

Set ``HELDOUT_SYSTEM_MALLOC=1`` to leave the allocator alone. Other C libraries: nothing happens.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 64 << 20
TRIM_THRESHOLD = 256 << 20
_done = False


def tune() -> bool:
    """Raise glibc's thresholds once per process; whether they are now raised."""
    global _done
    if _done or os.environ.get("HELDOUT_SYSTEM_MALLOC") == "1":
        return _done
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows)
        return False
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return _done
