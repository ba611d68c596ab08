"""The package's shape: no import cycle, small modules, a top level of sub-packages, each default
written once, no import-time side effects on other libraries, and an `import heldout` that imports
only what is used."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "heldout"
TOP_LEVEL = {"__init__.py", "__main__.py", "errors.py", "sklearn.py"}
# stream: the larger-than-memory path beside the pipeline (a source, its split, its rows, its look),
# after train
SUB_PACKAGES = {
    "task",
    "ledger",
    "conformal",
    "rundir",
    "_util",
    "data",
    "seal",
    "leakage",
    "nn",
    "model",
    "train",
    "stream",
    "search",
    "report",
    "workflow",
    "cli",
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    """Every heldout module ``name`` imports, at any depth of its code (lazy imports count too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("heldout")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if not base.startswith("heldout"):
                continue
            for alias in node.names:  # `from pkg import module` imports the module
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {m for m in found if m in modules and m != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_anywhere_in_the_package():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert graph["heldout.train.fit"] >= {
        "heldout.train.population",
        "heldout.seal.gate",
    }  # the walk sees edges
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _package(module: str) -> str:
    """The sub-package a module belongs to (``heldout.seal.gate`` -> ``seal``; top-level modules
    are their own)."""
    return module.split(".")[1] if module.count(".") else module


def _package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Which sub-package imports which, from the modules' imports (a package's own imports left
    out; ``heldout/__init__.py``, the public face that re-exports everything, left out too)."""
    out: dict[str, set[str]] = {}
    for name, imported in graph.items():
        if name == "heldout":
            continue
        out.setdefault(_package(name), set()).update(
            _package(m) for m in imported if _package(m) != _package(name) and m != "heldout"
        )
    return out


def _private_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports of another package's private module (a name starting with ``_`` under it)."""
    return sorted(
        f"{name} -> {m}"
        for name, imported in graph.items()
        for m in imported
        if _package(m) != _package(name) and any(part.startswith("_") for part in m.split(".")[2:])
    )


def test_no_package_imports_a_package_that_imports_it_back():
    modules = _modules()
    packages = _package_graph(
        {name: _imports(name, path, modules) for name, path in modules.items()}
    )
    assert packages["seal"] >= {"data", "ledger"}  # the walk sees package edges
    assert _cycles(packages) == []


def test_no_module_imports_another_packages_private_module():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _private_imports(graph) == []


def test_the_package_checks_find_what_they_look_for():
    graph = {
        "heldout.data.dataset": {"heldout.nn.family"},
        "heldout.nn.family": {"heldout.data.features", "heldout.train._engine"},
        "heldout.train.fit": {"heldout.train._engine"},
    }
    assert _cycles(_package_graph(graph)) == [["data", "nn"]]
    assert _private_imports(graph) == ["heldout.nn.family -> heldout.train._engine"]


def test_no_source_line_is_wider_than_100_columns():
    wide = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in PACKAGE.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if len(line) > 100
    ]
    assert wide == []


def test_the_top_level_holds_the_sub_packages_and_a_few_modules():
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    assert entries == TOP_LEVEL | SUB_PACKAGES


def _defaults_written(name: str) -> list[str]:
    """Places in the source that write a literal default for setting ``name``: a parameter default,
    a declared field, a dict entry, or a CLI option's ``default=``."""
    places = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            values = []
            if isinstance(node, ast.arguments):
                args = node.posonlyargs + node.args
                values += [
                    d
                    for a, d in zip(args[len(args) - len(node.defaults) :], node.defaults)
                    if a.arg == name
                ]
                values += [
                    d
                    for a, d in zip(node.kwonlyargs, node.kw_defaults)
                    if a.arg == name and d is not None
                ]
            elif isinstance(node, ast.Call):
                named = any(
                    isinstance(a, ast.Constant)
                    and str(a.value).strip("-").replace("-", "_") == name
                    for a in node.args
                )
                values += [k.value for k in node.keywords if named and k.arg == "default"]
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == name
            ):
                value = node.value
                if (
                    isinstance(value, ast.Call) and len(value.args) > 1
                ):  # setting(kind, default, ...)
                    value = value.args[1]
                values.append(value)
            elif isinstance(node, ast.Dict):
                values += [
                    v
                    for k, v in zip(node.keys, node.values)
                    if isinstance(k, ast.Constant) and k.value == name
                ]
            for value in values:
                if (
                    isinstance(value, (ast.Constant, ast.Tuple))
                    and ast.literal_eval(value) is not None
                ):
                    places.append(f"{path.relative_to(PACKAGE)}:{value.lineno}")
    return places


@pytest.mark.parametrize("name", ["batch_size", "optimizer", "hidden"])
def test_each_default_is_written_in_one_place(name):
    assert _defaults_written(name) == ["train/config.py:" + str(_declared_line(name))]


def test_the_learning_rate_default_is_each_rules_own():
    assert (
        _defaults_written("lr") == []
    )  # no literal lr default anywhere: each rule's default_lr holds it
    from heldout.nn import optim

    assert {name: rule.default_lr for name, rule in optim.OPTIMIZERS.items()} == {
        "gd": 0.1,
        "sgd": 0.01,
        "momentum": 0.01,
        "nesterov": 0.01,
        "adam": 0.01,
        "adamw": 0.01,
    }


def _declared_line(name: str) -> int:
    for node in ast.walk(ast.parse((PACKAGE / "train" / "config.py").read_text())):
        if isinstance(node, ast.AnnAssign) and node.target.id == name:
            return node.value.args[1].lineno
    raise AssertionError(name)


def test_derived_signatures_carry_the_declared_defaults():
    import inspect

    import heldout
    from heldout.sklearn import HeldoutClassifier
    from heldout.train.config import SETTINGS

    for name in ("batch_size", "optimizer", "hidden", "lr", "momentum"):
        assert inspect.signature(heldout.fit).parameters[name].default == SETTINGS[name].default
        assert HeldoutClassifier().get_params()[name] == SETTINGS[name].default


def test_importing_heldout_leaves_other_libraries_as_they_were():
    code = """
import logging, pkgutil, importlib
import matplotlib, optuna
before = (optuna.logging.get_verbosity(), dict.__getitem__(matplotlib.rcParams, "backend"),
          logging.getLogger().level)
import heldout
for info in pkgutil.walk_packages(heldout.__path__, "heldout."):
    if info.name != "heldout.__main__":
        importlib.import_module(info.name)
after = (optuna.logging.get_verbosity(), dict.__getitem__(matplotlib.rcParams, "backend"),
         logging.getLogger().level)
assert before == after, (before, after)
split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
heldout.tune(split, candidates=["linear+mse"], trials=2, population=2)
assert optuna.logging.get_verbosity() == before[0]
print("unchanged")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "unchanged" in done.stdout, done.stderr[-2000:]


def test_importing_heldout_imports_neither_optuna_nor_matplotlib_nor_mlflow():
    """The public names are imported when first used: only `tune` pays for Optuna, none for
    matplotlib, and only a ledger kept in PostgreSQL for psycopg."""
    code = """
import json, sys
import heldout
heavy = ("matplotlib", "optuna", "mlflow", "psycopg")
loaded = lambda: sorted(m for m in heavy if m in sys.modules)
on_import = loaded()
for name in heldout.__all__:
    if name != "tune":
        getattr(heldout, name)
print(json.dumps([on_import, loaded()]))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == [[], []]


def test_the_public_names_resolve_to_the_objects_where_they_live():
    import heldout
    from heldout.data import datasets
    from heldout.model.model import Model
    from heldout.seal.split import split
    from heldout.search.tune import tune

    assert (heldout.datasets, heldout.tune, heldout.split, heldout.load_model) == (
        datasets,
        tune,
        split,
        Model.load,
    )
    assert (
        set(heldout.__all__) <= set(dir(heldout))
        and heldout.report.report.__module__ == "heldout.report.page"
    )
    namespace = {}
    exec("from heldout import *", namespace)
    assert {name: namespace[name] for name in heldout.__all__} == {
        name: getattr(heldout, name) for name in heldout.__all__
    }
    with pytest.raises(AttributeError, match="no attribute 'fitt'"):
        heldout.fitt


def test_documented_module_paths_work_after_import_heldout_alone():
    """Every dotted path the README and the glossary name (heldout.x.y...) resolves after a bare
    ``import heldout``: a module that moved leaves no stale path in the docs."""
    docs = (ROOT / "README.md").read_text() + (ROOT / "docs" / "glossary.md").read_text()
    named = set(re.findall(r"\bheldout(?:\.[A-Za-z_][A-Za-z0-9_]*)+", docs))
    modules = {p.stem for p in PACKAGE.glob("*.py")} | SUB_PACKAGES
    # a path into a package or module; "heldout.inputs" (an ONNX metadata key) is not one
    paths = sorted(p for p in named if p.count(".") > 1 and p.split(".")[1] in modules)
    assert "heldout.workflow.descent.trace" in paths
    code = f"""
import heldout
from functools import reduce
for path in {paths!r}:
    reduce(getattr, path.split(".")[1:], heldout)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
