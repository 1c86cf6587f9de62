"""JSON values of the API: numbers, dates, times, labels and the publication fields."""

from decimal import Decimal


def number(value):
    """Return a Decimal score or points as a JSON number (None stays None)."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def iso_date(value):
    return value.isoformat() if value is not None else None


def iso_time(value):
    """Return a naive UTC timestamp as ISO 8601 with a Z."""
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def label(labels, code):
    """Return the label of ``code`` in ``labels`` (in the request's language), or the code if it has none."""
    text = labels.get(code)
    return str(text) if text is not None else code


def evaluation_code(level):
    return f"{level}A" if level else None


def publication_fields(publication):
    """Return the two fields every API response carries."""
    if publication is None:
        return {"data_as_of": None, "publication_version": None}
    return {"data_as_of": iso_time(publication.data_as_of), "publication_version": publication.version}
