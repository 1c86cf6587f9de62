"""Models of portal.stats: none; the statistics are counted from the published data."""
