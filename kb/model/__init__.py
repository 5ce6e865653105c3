"""What a curated fact is: the records, the knowledge base, their JSON Schema."""
