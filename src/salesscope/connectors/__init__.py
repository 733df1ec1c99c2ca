"""Connectors: each knows one source of CRM data (an API, a file) and writes the canonical tables."""
