"""Rule loading and matching."""
