"""Models of portal.reports."""
