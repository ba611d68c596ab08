"""A trained model (:mod:`.model`) over the bundle format (:mod:`.bundle`)."""


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
