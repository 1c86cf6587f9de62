"""Smaller fonts in the PDF reports: each CJK font keeps the glyphs the report uses, under their CIDs, and nothing else.

WeasyPrint subsets every font it embeds, but keeps each glyph at its number
in the original font, with empty glyphs in between, so that the numbers in
the page's text are the font's glyph numbers. A Noto CJK face has some 65,000
glyphs and the Chinese ones are numbered high: measured on a report of the
demo data, five faces of ~63,000 glyphs each (three for a few dozen Latin
letters) made 680 KB of a 719 KB PDF.

A CID-keyed CFF font (the Noto CJK faces are) does not need the numbers kept.
The page's codes are CIDs (Identity-H), and a reader finds the glyph of a
CID through the font's charset (ISO 32000-2, 9.7.4.2, CIDFonts with a CFF
font program whose Top DICT uses CIDFont operators); FreeType, which most
readers use, addresses a bare CID-keyed CFF font by CID directly. So
``compact_cid_fonts``, a WeasyPrint finisher, subsets each such font again
with HarfBuzz to the glyphs used, without keeping the glyph numbers (the
charset keeps each glyph's CID), and embeds the bare CFF font program
(``/FontFile3`` of subtype ``/CIDFontType0C``, PDF 1.3) instead of the
OpenType one. A font that is not CID-keyed CFF (DejaVu's TrueType), that
stands in for missing glyphs, or whose subset would not keep every CID the
page uses, is left as WeasyPrint made it.
"""

import logging

log = logging.getLogger(__name__)

_CFF_TAG = b"CFF "
_LAYOUT_TABLES = (b"BASE", b"GDEF", b"GPOS", b"GSUB", b"JSTF", b"MATH")


def compact_cid_fonts(document, pdf):
    """WeasyPrint finisher: replace each embedded CID-keyed OpenType CFF font by a compact bare CFF subset."""
    fonts = {font.name: font for font in document.fonts.values()}
    objects = pdf.objects
    for font_dictionary in objects:
        if not isinstance(font_dictionary, dict) or font_dictionary.get("Subtype") != "/CIDFontType0":
            continue
        font = fonts.get(font_dictionary.get("BaseFont"))
        descriptor = objects[_number(font_dictionary["FontDescriptor"])]
        stream = objects[_number(descriptor["FontFile3"])] if "FontFile3" in descriptor else None
        if font is None or stream is None or stream.extra.get("Subtype") != "/OpenType" or font.missing:
            continue
        try:
            program = _cid_keyed_subset(font.hb_face, font.to_unicode)
        except Exception:
            log.warning("could not make a compact subset of %s; it stays as WeasyPrint embedded it", font.family, exc_info=True)
            continue
        if program is not None:
            stream.stream = [program]
            stream.extra["Subtype"] = "/CIDFontType0C"


def _number(reference):
    """Return the object number of a reference as pydyf writes it (b"12 0 R")."""
    return int(reference.split()[0])


def _cid_keyed_subset(face, used_glyphs):
    """Return the CFF font program of ``face`` cut to ``used_glyphs`` (original glyph numbers, which are CIDs), or None.

    None if the face is not a CID-keyed CFF font whose glyph numbers are its
    CIDs, since only then are the page's codes the subset's CIDs.
    """
    from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset

    wanted = sorted({0, *used_glyphs})
    subset_input = ffi.gc(harfbuzz_subset.hb_subset_input_create_or_fail(), harfbuzz_subset.hb_subset_input_destroy)
    glyphs = harfbuzz_subset.hb_subset_input_glyph_set(subset_input)
    harfbuzz.hb_set_add_sorted_array(glyphs, ffi.new(f"hb_codepoint_t[{len(wanted)}]", wanted), len(wanted))
    # Glyph numbers are not retained: the charset carries each glyph's CID. Outlines are
    # desubroutinized and unhinted, as WeasyPrint embeds them.
    harfbuzz_subset.hb_subset_input_set_flags(
        subset_input,
        harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE
        | harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING
        | harfbuzz_subset.HB_SUBSET_FLAGS_NOTDEF_OUTLINE,
    )
    # Without the layout tables, no glyph comes in by substitution (vertical forms, alternates): the page
    # was laid out already, and only the glyphs it draws are wanted.
    dropped = harfbuzz_subset.hb_subset_input_set(subset_input, harfbuzz_subset.HB_SUBSET_SETS_DROP_TABLE_TAG)
    tags = sorted(harfbuzz.hb_tag_from_string(tag, -1) for tag in _LAYOUT_TABLES)
    harfbuzz.hb_set_add_sorted_array(dropped, ffi.new(f"hb_codepoint_t[{len(tags)}]", tags), len(tags))
    subset_face = ffi.gc(harfbuzz_subset.hb_subset_or_fail(face, subset_input), harfbuzz.hb_face_destroy)
    if subset_face == ffi.NULL:
        return None
    table = ffi.gc(
        harfbuzz.hb_face_reference_table(subset_face, harfbuzz.hb_tag_from_string(_CFF_TAG, -1)),
        harfbuzz.hb_blob_destroy,
    )
    length = ffi.new("unsigned int *")
    data = harfbuzz.hb_blob_get_data(table, length)
    if not length[0]:
        return None
    program = bytes(ffi.buffer(data, length[0]))
    if not _keeps_cids(program, wanted):
        return None
    return program


def _keeps_cids(program, wanted):
    """Tell whether a CFF font program is CID-keyed and holds a glyph for every wanted CID.

    (HarfBuzz may bring in a few more glyphs than asked, which does no harm.)
    """
    import io

    from fontTools.cffLib import CFFFontSet

    cff = CFFFontSet()
    cff.decompile(io.BytesIO(program), None)
    top = cff[cff.fontNames[0]]
    if not hasattr(top, "ROS"):
        return False
    return {".notdef" if cid == 0 else f"cid{cid:05d}" for cid in wanted} <= set(top.charset)
