"""Relais campaigns service."""

SCHEMA = "campaigns"  # its PostgreSQL schema
SOURCE = "/relais/campaigns"  # CloudEvents source of the events it publishes
