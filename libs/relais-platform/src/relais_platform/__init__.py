"""Thin shared plumbing for the Relais services. Nothing domain-specific lives here."""
