"""Adapters: the SQL store, settings, logging, the Prefect adapter, the CLI and wiring."""
