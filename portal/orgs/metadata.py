"""Machine-readable metadata of a credit report: the organisation as a schema.org Organization (JSON-LD).

The report page carries it in ``<script type="application/ld+json">``: data,
which no browser runs (the Content Security Policy allows no inline script,
and this is none). Search engines and harvesters read the registered name,
the unified social credit code, the address and the link to the report.
"""

from portal.origin import public_url

SCHEMA_ORG = "https://schema.org"


def organisation_json_ld(organisation, data_as_of=None):
    """Return the schema.org Organization of a published organisation, with its credit report, as a dict."""
    report_url = public_url("orgs.report", uscc=organisation.uscc, lang=None)
    document = {
        "@context": SCHEMA_ORG,
        "@type": "Organization",
        "@id": f"{report_url}#organization",
        "name": organisation.name,
        "legalName": organisation.name,
        "identifier": {"@type": "PropertyValue", "propertyID": "USCC", "name": "统一社会信用代码", "value": organisation.uscc},
        "taxID": organisation.uscc,
        "mainEntityOfPage": report_url,
        "subjectOf": {
            "@type": "Report",
            "@id": report_url,
            "url": report_url,
            "name": f"{organisation.name} 信用报告",
        },
    }
    if organisation.former_names:
        document["alternateName"] = list(organisation.former_names)
    if organisation.address:
        document["address"] = {
            "@type": "PostalAddress",
            "streetAddress": organisation.address,
            "addressRegion": "北京市",
            "addressCountry": "CN",
        }
    if organisation.registered_on:
        document["foundingDate"] = organisation.registered_on.isoformat()
    if data_as_of is not None:
        # When the report's data was read from the scoring system (naive UTC).
        document["subjectOf"]["dateModified"] = data_as_of.isoformat(timespec="seconds") + "Z"
    return document
