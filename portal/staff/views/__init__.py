"""The staff console (/staff): the blueprint, with its views by area (accounts, queue, complaint, site errors)."""

from portal.staff.views import accounts, complaint, queue, site_errors
from portal.staff.views.base import bp, load_user, unauthorized

__all__ = ["accounts", "bp", "complaint", "load_user", "queue", "site_errors", "unauthorized"]
