"""Qt item models over the application service."""
