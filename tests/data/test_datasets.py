import heldout


def test_bundled_datasets_load_offline_with_their_task():
    expected = {
        "breast_cancer": ("binary", 569, 30),
        "diabetes": ("regression", 442, 10),
        "digits": ("multiclass", 1797, 64),
        "iris": ("multiclass", 150, 4),
        "wine": ("multiclass", 178, 13),
    }
    for name, (task, rows, features) in expected.items():
        ds = heldout.datasets.load(name)
        assert (ds.task, len(ds), len(ds.schema)) == (task, rows, features)


def test_unknown_dataset_lists_the_known_ones():
    import pytest

    with pytest.raises(heldout.DataError, match="breast_cancer"):
        heldout.datasets.load("mnist")


def test_the_listed_shapes_are_those_of_the_loaded_datasets():
    """`heldout datasets` lists a declared table (it loads nothing); each row must say what loading
    gives."""
    listed = heldout.datasets.catalog()
    assert [d["name"] for d in listed] == heldout.datasets.names()
    for d in listed:
        ds = heldout.datasets.load(d["name"])
        assert (d["rows"], d["features"], d["task"], d["classes"]) == (
            len(ds),
            len(ds.schema),
            ds.task,
            None if ds.classes is None else len(ds.classes),
        ), d["name"]
