"""The leakage check on real public tables of known status (benchmarks/leakage_catalogue.py):
every known leak found at warning or above, no error on a clean table, no warning on the
bundled datasets."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "leakage_catalogue.py"


def test_every_table_of_the_catalogue_gets_its_known_status():
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["tables"] >= 12
    missed = [r for r in result["rows"] if not r["ok"]]
    assert missed == [], missed
    statuses = {r["status"] for r in result["rows"]}
    assert {
        "entity",
        "id column",
        "duplicates",
        "label proxy",
        "time order",
        "clean",
        "bundled",
    } <= statuses
