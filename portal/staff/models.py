"""Models of portal.staff."""
