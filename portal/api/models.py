"""Models of portal.api."""
