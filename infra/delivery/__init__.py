"""Outbound delivery: alerts and their mail, Prefect events, webhooks and their allowed targets, the event stream."""
