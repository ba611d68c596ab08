"""Training: settings declared once (:mod:`.config`), grids, the population state (:mod:`.state`), rows and
batches, the engine loop, ``train_population`` and the guarded ``fit`` over it, and the ``Run`` result."""
