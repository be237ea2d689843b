"""Speech → ARKit-52 face animation."""
