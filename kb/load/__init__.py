"""Files to a checked KnowledgeBase: articles, YAML reading, validation, incremental reloads."""
