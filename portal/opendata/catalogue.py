"""/data/catalog.jsonld: the downloads described in DCAT, as JSON-LD, for data portals and harvesters.

One catalogue, two datasets: the public list (each file of the current
download generation, with its media type, byte size, SHA-256 checksum as
``spdx:checksum``, licence and the time its data was read) and the changes
to the list (CSV and JSON made on request for the filters chosen, so
without a size or checksum). Both are updated daily, by the nightly sync.
The context is in the document itself: a reader needs to fetch nothing.

Plain arguments in (the downloads' manifest, the licence, the site's
address), a dict out; the view serves it only while the downloads match
the publication, as it serves the files.
"""

from portal.opendata.downloads import CSV_FILE, JSONL_FILE

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
#: The Dublin Core frequency of the nightly update.
DAILY = "http://purl.org/cld/freq/daily"
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
#: Format names (EU file types vocabulary) of the files, by format of the manifest.
FORMATS = {"csv": "CSV", "jsonl": "JSON_LINES", "json": "JSON"}

PUBLISHER = "北京市社会组织信用信息公示平台"
#: Titles and descriptions, in both languages (the catalogue is one document for every reader).
TEXTS = {
    "catalogue": (
        f"{PUBLISHER} 开放数据",
        "Beijing Social Organisation Credit Information Portal: open data",
    ),
    "catalogue_description": (
        "信用等级为A级或B级、登记状态正常的北京市社会组织的公示名单及其变动。",
        "The public list of Beijing social organisations rated A or B whose registration is in force, and its changes.",
    ),
    "list": ("A/B级公示名单", "The public list (grades A and B)"),
    "list_description": (
        "每个公示组织一行，按统一社会信用代码排序；每晚同步后重新生成，内容与该次公示完全一致。",
        "One row per published organisation, ordered by unified social credit code; generated again after each "
        "nightly update, with exactly the organisations it publishes.",
    ),
    "changes": ("公示名单变动", "Changes to the public list"),
    "changes_description": (
        "列入、移出公示名单和信用等级变化；按所选条件即时生成。",
        "Entries to and exits from the public list, and grade changes; generated on request for the filters chosen.",
    ),
    CSV_FILE: ("公示名单（CSV，带BOM的UTF-8）", "The public list (CSV, UTF-8 with a BOM)"),
    JSONL_FILE: ("公示名单（JSON Lines）", "The public list (JSON Lines)"),
    "changes.csv": ("公示名单变动（CSV）", "Changes to the public list (CSV)"),
    "changes.json": ("公示名单变动（JSON）", "Changes to the public list (JSON)"),
}


def _texts(key):
    chinese, english = TEXTS[key]
    return [{"@value": chinese, "@language": "zh"}, {"@value": english, "@language": "en"}]


def _time(value):
    return {"@value": value, "@type": "xsd:dateTime"}


def _distribution(url, key, media_type, format_name, licence, modified=None, size=None, sha256=None):
    distribution = {
        "@id": url,
        "@type": "dcat:Distribution",
        "dct:title": _texts(key),
        "dcat:accessURL": {"@id": url},
        "dcat:downloadURL": {"@id": url},
        "dcat:mediaType": {"@id": MEDIA_TYPES + media_type},
        "dct:format": {"@id": f"http://publications.europa.eu/resource/authority/file-type/{format_name}"},
        "dct:license": {"@id": licence},
    }
    if modified:
        distribution["dct:modified"] = _time(modified)
    if size is not None:
        distribution["dcat:byteSize"] = {"@value": str(size), "@type": "xsd:nonNegativeInteger"}
    if sha256:
        distribution["spdx:checksum"] = {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
            "spdx:checksumValue": {"@value": sha256, "@type": "xsd:hexBinary"},
        }
    return distribution


def dcat_catalogue(manifest, licence_name, licence_url, url_of):
    """Return the DCAT catalogue of the downloads as a JSON-LD dict.

    ``manifest`` is the current downloads' manifest (``downloads.read_manifest``);
    ``url_of(path)`` makes an absolute address of a site path.
    """
    data_as_of = manifest.get("data_as_of")
    files = [
        _distribution(
            url_of(f"/data/{item['name']}"),
            item["name"],
            item["media_type"],
            FORMATS.get(item["format"], item["format"].upper()),
            licence_url,
            modified=data_as_of,
            size=item["size"],
            sha256=item["sha256"],
        )
        for item in manifest.get("files", [])
        if item["name"] in TEXTS
    ]
    list_dataset = {
        "@id": url_of("/data#list"),
        "@type": "dcat:Dataset",
        "dct:title": _texts("list"),
        "dct:description": _texts("list_description"),
        "dct:license": {"@id": licence_url},
        "dct:accrualPeriodicity": {"@id": DAILY},
        "dcat:landingPage": {"@id": url_of("/data")},
        "dct:identifier": f"publication-version-{manifest.get('publication_version')}",
        "dcat:distribution": files,
    }
    if data_as_of:
        list_dataset["dct:modified"] = _time(data_as_of)
    changes_dataset = {
        "@id": url_of("/changes#changes"),
        "@type": "dcat:Dataset",
        "dct:title": _texts("changes"),
        "dct:description": _texts("changes_description"),
        "dct:license": {"@id": licence_url},
        "dct:accrualPeriodicity": {"@id": DAILY},
        "dcat:landingPage": {"@id": url_of("/changes")},
        "dcat:distribution": [
            _distribution(url_of("/changes.csv"), "changes.csv", "text/csv", "CSV", licence_url),
            _distribution(url_of("/changes.json"), "changes.json", "application/json", "JSON", licence_url),
        ],
    }
    catalogue = {
        "@context": CONTEXT,
        "@id": url_of("/data/catalog.jsonld"),
        "@type": "dcat:Catalog",
        "dct:title": _texts("catalogue"),
        "dct:description": _texts("catalogue_description"),
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": PUBLISHER},
        "dct:license": {"@id": licence_url, "@type": "dct:LicenseDocument", "dct:title": licence_name},
        "foaf:homepage": {"@id": url_of("/")},
        "dcat:dataset": [list_dataset, changes_dataset],
    }
    if data_as_of:
        catalogue["dct:modified"] = _time(data_as_of)
    return catalogue
