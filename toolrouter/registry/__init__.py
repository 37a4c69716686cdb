"""Registry: tool specs and table definitions normalized into items with canonical text."""
