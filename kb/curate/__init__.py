"""Curator tools: anchoring quotes, fuzzy matching, git revisions, diffs and their reports."""
