"""Every schema of the API, by resource, in the order the document lists them."""

from portal.api.openapi.schemas import batch, change_record, changes, meta, organisations, rules, search, statistics

SCHEMAS = {
    "Error": meta.SCHEMAS["Error"],
    **organisations.SCHEMAS,
    **search.SCHEMAS,
    **changes.SCHEMAS,
    **change_record.SCHEMAS,
    **rules.SCHEMAS,
    **statistics.SCHEMAS,
    **batch.SCHEMAS,
    "ApiIndex": meta.SCHEMAS["ApiIndex"],
}
