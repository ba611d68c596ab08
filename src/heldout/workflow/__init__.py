"""The run directory as a declared format (:mod:`.artifacts`), the data spec, the procedures behind
`heldout train`, `tune` and `run` (:mod:`.procedures`), and tracking."""
