"""Prefect flows: thin; they call the same handlers as the API. One file per flow."""
