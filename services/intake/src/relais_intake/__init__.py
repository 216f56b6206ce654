"""Relais intake service."""

SCHEMA = "intake"  # its PostgreSQL schema
SOURCE = "/relais/intake"  # CloudEvents source of the events it publishes
