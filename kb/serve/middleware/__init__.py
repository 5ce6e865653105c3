"""ASGI middleware of the server, one a module: pinning the served snapshot, bounding bodies, the answer cache."""
