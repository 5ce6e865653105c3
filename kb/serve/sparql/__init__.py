"""The /sparql endpoint: protocol, guard, worker processes, result formats."""
