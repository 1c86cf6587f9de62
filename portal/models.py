"""Import every model so that ``db.metadata`` knows every portal table."""

from portal.orgs.models import CreditEvent, ListEntry, Organisation, ScoreSnapshot  # noqa: F401
from portal.rules.models import Dimension, GradeBand, RuleItem, RuleSet  # noqa: F401
from portal.sync.models import ListChange, PublicationState, SyncRun  # noqa: F401
