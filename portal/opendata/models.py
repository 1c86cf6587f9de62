"""Models of portal.opendata."""
