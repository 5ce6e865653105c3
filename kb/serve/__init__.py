"""The running server: app, snapshots, middleware, reloads, the remote backend, SPARQL."""
