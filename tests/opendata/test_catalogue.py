"""/data/catalog.jsonld: every download in DCAT, read by a JSON-LD processor (pyld), checked against the files served."""

import hashlib
import json
from datetime import datetime

import pytest

from portal.opendata import downloads
from tests.jsonld_documents import expanded, n_quads
from tests.synced_portal import ScoringOrganisation, sync_at

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
SPDX = "http://spdx.org/rdf/terms#"
XSD = "http://www.w3.org/2001/XMLSchema#"
ORGS = [
    ScoringOrganisation(1, "北京市阿尔法协会", grade="A", score="97.50"),
    ScoringOrganisation(2, "北京市贝塔基金会", "foundation", "110105", "B", "88.00"),
]
C_GRADE = ScoringOrganisation(6, "北京市丙级测试协会", grade="C", score="70.00")
CANCELLED = ScoringOrganisation(8, "北京市注销测试协会", grade="A", score="99.00", status="cancelled")
NIGHTS = [datetime(2026, 11, 2, 18, 30), datetime(2026, 11, 3, 18, 30)]
LICENCE = "https://data.example.org/licence/open-1.0"


@pytest.fixture
def app_config_overrides():
    return {"DATA_LICENCE_NAME": "示例开放许可 1.0", "DATA_LICENCE_URL": LICENCE}


@pytest.fixture
def portal(app, scoring, monkeypatch):
    for organisation in [*ORGS, C_GRADE, CANCELLED]:
        organisation.write(scoring)
    sync_at(app, monkeypatch, NIGHTS[0])
    return app


def of_type(nodes, kind):
    return [node for node in nodes if kind in node.get("@type", [])]


def value(node, predicate):
    return node[predicate][0].get("@value", node[predicate][0].get("@id"))


def test_the_catalogue_describes_each_download_exactly(client, portal):
    response = client.get("/data/catalog.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    document = response.get_json(force=True)
    catalogue = expanded(document)[0]
    assert catalogue["@type"] == [DCAT + "Catalog"] and catalogue["@id"] == "http://localhost/data/catalog.jsonld"
    assert value(catalogue, DCT + "license") == LICENCE
    datasets = catalogue[DCAT + "dataset"]
    assert len(of_type(datasets, DCAT + "Dataset")) == 2
    the_list = next(dataset for dataset in datasets if dataset["@id"] == "http://localhost/data#list")
    assert value(the_list, DCT + "accrualPeriodicity") == "http://purl.org/cld/freq/daily"
    assert value(the_list, DCT + "license") == LICENCE
    manifest = client.get("/data/manifest.json").get_json()
    assert value(the_list, DCT + "modified") == manifest["data_as_of"]
    assert the_list[DCT + "modified"][0]["@type"] == XSD + "dateTime"
    distributions = {node["@id"]: node for node in the_list[DCAT + "distribution"]}
    assert set(distributions) == {f"http://localhost/data/{name}" for name in (downloads.CSV_FILE, downloads.JSONL_FILE)}
    for url, distribution in distributions.items():
        served = client.get(url.removeprefix("http://localhost"))
        assert served.status_code == 200
        body = served.get_data()
        size = distribution[DCAT + "byteSize"][0]
        assert size == {"@value": str(len(body)), "@type": XSD + "nonNegativeInteger"}
        checksum = distribution[SPDX + "checksum"][0]
        assert value(checksum, SPDX + "algorithm") == SPDX + "checksumAlgorithm_sha256"
        assert checksum[SPDX + "checksumValue"][0] == {"@value": hashlib.sha256(body).hexdigest(), "@type": XSD + "hexBinary"}
        assert value(distribution, DCAT + "downloadURL") == url
        assert value(distribution, DCAT + "mediaType").startswith("https://www.iana.org/assignments/media-types/")
        assert value(distribution, DCT + "license") == LICENCE
        assert value(distribution, DCT + "modified") == manifest["data_as_of"]
        # Disclosure: no unpublished code in what the catalogue describes.
        assert C_GRADE.uscc.encode() not in body and CANCELLED.uscc.encode() not in body
        assert ORGS[0].uscc.encode() in body
    changes = next(dataset for dataset in datasets if dataset["@id"] == "http://localhost/changes#changes")
    for distribution in changes[DCAT + "distribution"]:
        assert client.get(value(distribution, DCAT + "downloadURL").removeprefix("http://localhost")).status_code == 200
    text = response.get_data(as_text=True)
    assert C_GRADE.uscc not in text and CANCELLED.uscc not in text
    # Both languages' titles, and RDF a triple store takes.
    titles = {(title["@language"], title["@value"]) for title in catalogue[DCT + "title"]}
    assert {language for language, _ in titles} == {"zh", "en"}
    assert f"<http://localhost/data#list> <{DCT}accrualPeriodicity> <http://purl.org/cld/freq/daily> ." in n_quads(document)


def test_the_catalogue_follows_the_publication(app, client, portal, scoring, monkeypatch):
    first = client.get("/data/catalog.jsonld").get_json(force=True)
    scoring.tick(days=1)
    scoring.score(C_GRADE.uscc, "B", "85.00")
    sync_at(app, monkeypatch, NIGHTS[1])
    second = client.get("/data/catalog.jsonld").get_json(force=True)
    first_checksums = json.dumps(first["dcat:dataset"][0]["dcat:distribution"])
    second_checksums = json.dumps(second["dcat:dataset"][0]["dcat:distribution"])
    assert first_checksums != second_checksums
    csv_body = client.get("/data/organisations.csv").get_data()
    assert C_GRADE.uscc.encode() in csv_body  # now published (grade B), so in the files the catalogue describes


def test_no_catalogue_while_the_downloads_lag_the_publication(app, client, portal, scoring, monkeypatch):
    monkeypatch.setitem(app.config, "DOWNLOADS_AFTER_SYNC", False)
    scoring.tick(days=1)
    scoring.score(ORGS[1].uscc, "A", "91.00")
    sync_at(app, monkeypatch, NIGHTS[1])
    response = client.get("/data/catalog.jsonld")
    assert response.status_code == 503 and response.headers["Retry-After"]


def test_the_data_page_links_the_catalogue(client, portal):
    body = client.get("/data").get_data(as_text=True)
    assert 'href="/data/catalog.jsonld" type="application/ld+json"' in body
