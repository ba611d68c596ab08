"""Infrastructure with no say in the procedure: the allocator, atomic files, row chunks, declared
constraints, threads, versions, terminal tables, sub-modules imported on first use."""


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .lazy import submodule

    return submodule(__name__, name)
