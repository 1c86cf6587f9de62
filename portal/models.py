"""Import every model so that ``db.metadata`` knows every portal table."""

import portal.api.models  # noqa: F401
import portal.complaints.models  # noqa: F401
import portal.feedback.models  # noqa: F401
import portal.follow.models  # noqa: F401
import portal.opendata.models  # noqa: F401
import portal.publication.models  # noqa: F401
import portal.reports.models  # noqa: F401
import portal.rules.models  # noqa: F401
import portal.staff.models  # noqa: F401
import portal.stats.models  # noqa: F401
import portal.sync.models  # noqa: F401
