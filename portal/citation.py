"""What makes a download citable: a dated file name, and where the data comes from.

Every download is named ``beijing-social-org-credit-<what>-<YYYY-MM-DD>.<ext>``,
dated in Beijing time by the data's "as of" time (a download made at 07:00 in
Beijing is named for that day, not for the day before in UTC), and carries the
data-as-of time, the publication version, the licence and the source address.
"""

from portal.clock import local_date, utcnow

FILE_PREFIX = "beijing-social-org-credit"


def download_filename(what, extension, data_as_of, timezone_name):
    """Return the file name of a download of ``what`` ("list", "changes" ...), dated in ``timezone_name``."""
    day = local_date(data_as_of or utcnow(), timezone_name)
    return f"{FILE_PREFIX}-{what}-{day.isoformat()}.{extension}"


def provenance(publication, licence_name, licence_url, source_url):
    """Return the facts a citation needs, as plain data (ISO times in UTC)."""
    data_as_of = publication.data_as_of if publication else None
    return {
        # To the second, as the API and the bulk downloads give it.
        "data_as_of": data_as_of.isoformat(timespec="seconds") + "Z" if data_as_of else None,
        "publication_version": publication.version if publication else None,
        "licence": licence_name,
        "licence_url": licence_url,
        "source": source_url,
    }


def comment_line(facts, title):
    """Return the first line of a CSV download: ``# title; data as of ...; version ...; licence ...; source``."""
    return (
        f"# {title}; data_as_of={facts['data_as_of'] or 'none'}; publication_version={facts['publication_version']}; "
        f"licence={facts['licence']} {facts['licence_url']}; source={facts['source']}"
    )
