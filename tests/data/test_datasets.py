import heldout


def test_bundled_datasets_load_offline_with_their_task():
    expected = {"breast_cancer": ("binary", 569, 30), "diabetes": ("regression", 442, 10),
                "digits": ("multiclass", 1797, 64), "iris": ("multiclass", 150, 4), "wine": ("multiclass", 178, 13)}
    for name, (task, rows, features) in expected.items():
        ds = heldout.datasets.load(name)
        assert (ds.task, len(ds), len(ds.schema)) == (task, rows, features)


def test_unknown_dataset_lists_the_known_ones():
    import pytest

    with pytest.raises(heldout.DataError, match="breast_cancer"):
        heldout.datasets.load("mnist")
