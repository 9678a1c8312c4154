"""Reporters: one module per output format. No Qt here."""
