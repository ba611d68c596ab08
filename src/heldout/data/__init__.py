"""Data in: tables and their datasets (:mod:`.dataset`), the bundled datasets, row fingerprints, and the
preprocessing learned from training rows (:mod:`.features`)."""
