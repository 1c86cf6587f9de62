"""The PDF's CJK fonts are compact subsets that draw, for every CID the page uses, the glyph WeasyPrint's own subset draws.

The same report is rendered twice, with the compacting finisher and without
it (WeasyPrint's subset, which keeps every glyph number), and each glyph the
pages use is drawn from both font programs and compared outline for outline.
"""

import io
from urllib.parse import urlsplit

import pypdf
import pytest
from fontTools.cffLib import CFFFontSet
from fontTools.pens.recordingPen import DecomposingRecordingPen, RecordingPen
from fontTools.ttLib import TTFont

from portal.origin import public_base_url, public_url
from portal.reports import pdf, pdf_fonts, service, views
from tests.reports.test_pdf_print_and_verify import FOUNDATION, pdf_text, published  # noqa: F401 (a fixture)


def used_cids(widths):
    """Return the CIDs a /W array gives widths for."""
    cids, index = set(), 0
    while index < len(widths):
        first, following = int(widths[index]), widths[index + 1]
        if isinstance(following, list):
            cids.update(range(first, first + len(following)))
            index += 2
        else:
            cids.update(range(first, int(following) + 1))
            index += 3
    return cids


def glyph_name(cid):
    return f"cid{cid:05d}" if cid else ".notdef"


def outlines(program, subtype, cids):
    """Return {cid: outline} of the glyphs of ``cids``, found by CID as a PDF reader finds them."""
    drawn = {}
    if subtype == "/CIDFontType0C":
        fonts = CFFFontSet()
        fonts.decompile(io.BytesIO(program), None)
        charstrings = fonts[fonts.fontNames[0]].CharStrings
        for cid in cids:
            pen = RecordingPen()
            charstrings[glyph_name(cid)].draw(pen)
            drawn[cid] = pen.value
        return drawn
    font = TTFont(io.BytesIO(program))
    glyphs = font.getGlyphSet()
    for cid in cids:
        # WeasyPrint's own subset keeps glyph numbers: a glyph's CID is its number.
        name = glyph_name(cid) if "CFF " in font else font.getGlyphOrder()[cid]
        pen = DecomposingRecordingPen(glyphs)
        glyphs[name].draw(pen)
        drawn[cid] = pen.value
    return drawn


def embedded_fonts(data):
    """Return {font name without its subset tag: (subtype of its program, program, CIDs used)}."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    found = {}
    for page in reader.pages:
        for reference in (page["/Resources"].get_object().get("/Font") or {}).values():
            font = reference.get_object()
            cid_font = font["/DescendantFonts"][0].get_object()
            descriptor = cid_font["/FontDescriptor"].get_object()
            key = "/FontFile3" if "/FontFile3" in descriptor else "/FontFile2"
            program = descriptor[key].get_object()
            name = str(font["/BaseFont"]).split("+", 1)[1]
            subtype = program.get("/Subtype", key)
            entry = found.setdefault(name, (subtype, program.get_data(), set()))
            entry[2].update(used_cids(cid_font.get("/W") or []))
    return found


def render_both(app, language, monkeypatch):
    """Render one issued report with the compact fonts and with WeasyPrint's own subsets; return both PDFs."""
    with app.test_request_context(f"/org/{FOUNDATION}/report.pdf?lang={language}"):
        app.preprocess_request()
        report = service.issue_report(FOUNDATION, language, app.config["BABEL_DEFAULT_TIMEZONE"])
        html = views._document(report, for_pdf=True)
        arguments = (html, public_base_url() + "/", app.static_folder, urlsplit(public_url("static", filename="x")).path[:-1])
        compact = pdf.html_to_pdf(*arguments)
        monkeypatch.setattr(pdf, "compact_cid_fonts", lambda document, written: None)
        as_weasyprint_makes_it = pdf.html_to_pdf(*arguments)
    return compact, as_weasyprint_makes_it


@pytest.mark.parametrize("language", ["zh", "en"])
def test_compact_fonts_draw_the_same_glyphs_in_a_pdf_a_sixth_of_the_size(app, published, monkeypatch, language):
    compact, original = render_both(app, language, monkeypatch)
    assert len(compact) * 4 < len(original)
    assert pdf_text(compact) == pdf_text(original)
    compact_fonts, original_fonts = embedded_fonts(compact), embedded_fonts(original)
    assert compact_fonts.keys() == original_fonts.keys()
    assert any(name.startswith("Noto-Sans-CJK-SC") for name in compact_fonts)
    for name, (subtype, program, cids) in compact_fonts.items():
        original_subtype, original_program, original_cids = original_fonts[name]
        assert cids == original_cids
        if name.startswith("Noto"):
            # Every Noto CJK face is CID-keyed CFF: each is made compact.
            assert subtype == "/CIDFontType0C" and original_subtype == "/OpenType"
            assert len(program) < len(original_program)
        assert outlines(program, subtype, cids) == outlines(original_program, original_subtype, cids), name


def test_a_font_that_cannot_be_made_compact_stays_as_weasyprint_embedded_it(app, published, monkeypatch):
    monkeypatch.setattr(pdf_fonts, "_keeps_cids", lambda program, wanted: False)
    compact, original = render_both(app, "zh", monkeypatch)
    assert {name: font[0] for name, font in embedded_fonts(compact).items()} == {
        name: font[0] for name, font in embedded_fonts(original).items()
    }
