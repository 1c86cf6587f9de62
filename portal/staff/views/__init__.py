"""The staff console (/staff): the blueprint, with its views by area (accounts, queue, complaint)."""

from portal.staff.views import accounts, complaint, queue
from portal.staff.views.base import bp, load_user, unauthorized

__all__ = ["accounts", "bp", "complaint", "load_user", "queue", "unauthorized"]
