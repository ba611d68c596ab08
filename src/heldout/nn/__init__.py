"""The numbers: the task (:mod:`.task`), model families (:mod:`.family`, :mod:`.dense`, :mod:`.module`),
losses, optimisers (``init``/``update`` pairs) and metrics."""
