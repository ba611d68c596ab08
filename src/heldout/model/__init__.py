"""A trained model (:mod:`.model`) over the bundle format (:mod:`.bundle`)."""
