"""Pathway definitions as JSON data, one file per pathway version."""
