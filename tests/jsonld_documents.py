"""JSON-LD without the network: a pyld document loader that serves the contexts our documents name from files.

The schema.org context (``tests/jsonld_contexts/schema.org.jsonld``) is a
subset of the vocabulary's published context: its vocabulary and the terms
whose values are addresses or dates. The DCAT catalogue carries its context
inline (dcat, dct, foaf, spdx, xsd), so it names none. Any other address is
refused: a test that needs the network fails instead of fetching.
"""

import json
from pathlib import Path

from pyld import jsonld

CONTEXTS = Path(__file__).with_name("jsonld_contexts")
#: Addresses of a context -> its file.
LOCAL_CONTEXTS = {
    "https://schema.org": "schema.org.jsonld",
    "https://schema.org/": "schema.org.jsonld",
    "http://schema.org": "schema.org.jsonld",
    "http://schema.org/": "schema.org.jsonld",
}


def local_document_loader(url, options=None):
    """Return the remote document of a known context address from its file; refuse any other address."""
    name = LOCAL_CONTEXTS.get(url)
    if name is None:
        raise jsonld.JsonLdError(f"no local copy of {url} (tests fetch nothing)", "jsonld.LoadDocumentError",
                                 code="loading document failed")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads((CONTEXTS / name).read_text(encoding="utf-8")),
    }


def expanded(document):
    """Return the document expanded by pyld (every term a full IRI), with contexts served locally."""
    return jsonld.expand(document, {"documentLoader": local_document_loader})


def n_quads(document):
    """Return the document's RDF as N-Quads, with contexts served locally."""
    return jsonld.to_rdf(document, {"documentLoader": local_document_loader, "format": "application/n-quads"})
