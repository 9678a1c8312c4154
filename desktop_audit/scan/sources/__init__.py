"""Sources: every place a credential lingers, each yielding fragments of content to match."""
