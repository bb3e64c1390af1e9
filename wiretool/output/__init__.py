"""Renderers: records in, terminal text (rich) or NDJSON out. All untrusted text is sanitised here."""
