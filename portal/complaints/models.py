"""Models of portal.complaints."""
