"""Sources: each discovers the complete list of entries of one system, or says which scope failed."""
