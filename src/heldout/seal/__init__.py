"""The test set sealed: the split (:mod:`.split`), cross-validation folds, the :class:`~.sealed.Sealed`
test set, the hash-chained ledger (:mod:`.ledger`, over its SQLite file in :mod:`._store`), the training gate (:mod:`.guard`) and the one look (:mod:`.evaluate`)."""
