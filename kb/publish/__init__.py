"""Into a remote store: the catalogue, the Graph Store Protocol, bulk files, Virtuoso."""
