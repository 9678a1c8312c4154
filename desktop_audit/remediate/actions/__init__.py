"""Local clean-up actions: each previewed (redacted), confirmed, backed up, undoable."""
