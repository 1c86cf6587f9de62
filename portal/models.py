"""Import every model so that ``db.metadata`` knows every portal table."""

from portal.orgs.models import CreditEvent, ListEntry, Organisation, ScoreSnapshot  # noqa: F401
from portal.rules.models import Dimension, GradeBand, RuleItem, RuleSet  # noqa: F401
from portal.sync.models import ListChange, PublicationState, SyncRun  # noqa: F401
import portal.api.models  # noqa: F401,E402
import portal.complaints.models  # noqa: F401,E402
import portal.opendata.models  # noqa: F401,E402
import portal.reports.models  # noqa: F401,E402
import portal.staff.models  # noqa: F401,E402
import portal.stats.models  # noqa: F401,E402
