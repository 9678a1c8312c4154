"""The application-service layer: the one façade the CLI and the GUI call."""
