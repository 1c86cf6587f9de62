"""The PDF report is tagged PDF/UA-1 with its language and title, and its structure tree holds the report."""

import io
from collections import Counter

import pypdf
import pytest

from tests.orgs.test_display_windows import windows  # noqa: F401 (the fixture)


def structure_tags(node, found=None):
    """Return a Counter of the structure types (/S) in a structure tree."""
    found = found if found is not None else Counter()
    node = node.get_object()
    if isinstance(node, dict):
        if "/S" in node:
            found[str(node["/S"])] += 1
        kids = node.get("/K")
        if kids is not None:
            kids = kids.get_object()
            for kid in kids if isinstance(kids, list) else [kids]:
                if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                    structure_tags(kid, found)
    return found


@pytest.mark.parametrize(("language", "lang", "title"), [("zh", "zh-CN", "信用报告"), ("en", "en", "Credit report")])
def test_the_pdf_is_tagged_pdf_ua_with_language_and_title(app, windows, language, lang, title):  # noqa: F811
    response = app.test_client().get(f"/org/{windows}/report.pdf?lang={language}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == lang
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title.startswith(title)
    xmp = catalog["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfuaid:part="1"' in xmp or "<pdfuaid:part>1</pdfuaid:part>" in xmp
    tags = structure_tags(catalog["/StructTreeRoot"])
    # Headings, the tables of the report with header cells, lists and paragraphs are all tagged.
    assert tags["/H1"] >= 1 and tags["/H2"] >= 5
    assert tags["/Table"] >= 3 and tags["/TH"] >= 10 and tags["/TD"] >= 10
    assert tags["/P"] >= 3 and tags["/L"] + tags["/LI"] >= 1
