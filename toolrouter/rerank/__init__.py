"""Rerankers: model backends that score (query, item text) pairs."""
