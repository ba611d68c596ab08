"""The report in a real browser: headless Chromium (Debian's `chromium`, installed by .ci/run)."""

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from heldout.rundir.spec import DataSpec
from heldout.workflow import procedures

CHROMIUM = (
    shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on this machine: .ci/run installs Debian's chromium package",
)


def chromium(*args, timeout=180):
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@needs_chromium
def test_the_report_renders_with_visible_plots_and_no_console_errors(tmp_path):
    procedures.run_procedure(
        DataSpec(dataset="diabetes"), out=tmp_path / "r", trials=8, population=4
    )
    page = (tmp_path / "r" / "report.html").resolve()
    shot = tmp_path / "shot.png"
    out = chromium(f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri())
    assert shot.is_file(), out.stderr[-2000:]
    console = [line for line in out.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.std() > 10 and (pixels < 200).mean() > 0.01  # not blank: text and plots drawn


@needs_chromium
def test_text_from_the_data_does_not_execute_in_the_browser(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            '<script>document.title="pwned"</script>': rng.standard_normal(300),
            "note": rng.choice(['<img src=x onerror="document.title=1">', 'say "hi"'], 300),
        }
    )
    frame["y"] = frame.iloc[:, 0] * 3  # a target proxy, so the column name appears in a finding
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    procedures.run_procedure(
        DataSpec(source=str(path), target="y"),
        out=tmp_path / "r",
        trials=4,
        population=4,
        allow_leakage=True,
    )
    page = (tmp_path / "r" / "report.html").resolve()
    dom = chromium("--dump-dom", page.as_uri()).stdout
    assert "<title>heldout report</title>" in dom and "pwned" not in dom.split("<body")[0]
    assert "&lt;script&gt;document.title=" in dom and "<script" not in dom.split("<body")[1]
