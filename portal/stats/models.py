"""Models of portal.stats."""
