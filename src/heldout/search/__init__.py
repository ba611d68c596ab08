"""The search on validation data: candidates and spaces (:mod:`.space`), Optuna over populations
(:mod:`.tune`), and its result with the refit (:mod:`.result`)."""
