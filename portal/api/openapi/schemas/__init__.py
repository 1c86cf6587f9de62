"""Every schema of the API, by resource, in the order the document lists them."""

from portal.api.openapi.schemas import batch, changes, meta, organisations, rules, search, statistics

SCHEMAS = {
    "Error": meta.SCHEMAS["Error"],
    **organisations.SCHEMAS,
    **search.SCHEMAS,
    **changes.SCHEMAS,
    **rules.SCHEMAS,
    **statistics.SCHEMAS,
    **batch.SCHEMAS,
    "ApiIndex": meta.SCHEMAS["ApiIndex"],
}
