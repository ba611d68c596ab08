"""Infrastructure with no say in the procedure: the allocator, atomic files, versions, terminal
tables, sub-modules imported on first use."""
