"""Renderers: the only code that formats search results for output."""
