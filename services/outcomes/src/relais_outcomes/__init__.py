"""Relais outcomes service."""

SCHEMA = "outcomes"  # its PostgreSQL schema
SOURCE = "/relais/outcomes"  # CloudEvents source of the events it publishes
