"""Every `heldout train` option derived from a setting, given each value its declaration refuses:
a typed one-paragraph error and exit code 2 for each, never a traceback. The cases are generated
from the declarations (:meth:`heldout.train.settings.Setting.invalid_values`), so a new setting is
covered the day it is declared. They run in one process, one command line after another."""

import json
import subprocess
import sys

from heldout.train.config import SETTINGS

_PROBE = """
import io, json, sys, contextlib
from heldout.cli import main
results = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    code = 0
    with contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code
        except BaseException as exc:   # an escaped exception is what this test looks for
            code = repr(exc)
    results.append([argv, code, err.getvalue()])
print(json.dumps(results))
"""


def _cases():
    for name, declared in SETTINGS.items():
        if not declared.cli:
            continue
        flag = "--" + name.replace("_", "-")
        for value in declared.invalid_values():
            if declared.kind is bool:
                continue
            yield ["train", "--dataset", "iris", "--epochs", "1", "--no-descent", flag, str(value)]


def test_every_invalid_value_of_every_setting_option_is_a_typed_error(tmp_path):
    cases = [argv + ["--out", str(tmp_path / f"r{k}")] for k, argv in enumerate(_cases())]
    assert len(cases) >= 30
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=600,
        env={"COLUMNS": "200", **__import__("os").environ},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for argv, code, err in json.loads(done.stdout.splitlines()[-1]):
        assert code == 2, (argv, code, err[-1500:])
        assert "Traceback" not in err and ("error:" in err or "Error:" in err), (argv, err[-1500:])
        message = err[err.index("rror:") - 1 :].strip()
        assert "\n\n" not in message, (argv, message)
    assert not any(
        (tmp_path / f"r{k}").exists() for k in range(len(cases))
    )  # refused before --out was made
