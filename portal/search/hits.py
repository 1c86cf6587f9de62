"""One hit of a search, as shown: the name with what matched marked, the code, and a snippet saying why."""

from portal.search.analysis import normalise_name
from portal.search.highlight import initials_spans, mark, opening, snippet, syllable_spans, term_spans
from portal.search.matcher import FREE_TEXT_TIERS
from portal.search.results import Hit
from portal.search.schema import EVALUATION_NONE


def _spans(text, tier, plan):
    """Return the ranges of ``text`` (a name) that matched, for a hit found by ``tier``."""
    tier = tier.removeprefix("former_")
    if tier in ("exact", "name_words", "name"):
        return term_spans(text, plan.bigrams)
    if tier == "pinyin":
        return syllable_spans(text, [pairs_to_syllables(pairs) for pairs in plan.pinyin_pairs])
    if tier == "homophone":
        return syllable_spans(text, [pairs_to_syllables(plan.homophone_pairs)])
    if tier == "initials":
        return initials_spans(text, plan.text.lower().replace(" ", "").replace("'", ""))
    return []


def pairs_to_syllables(pairs):
    """Return the syllables of a sequence of overlapping pairs: (bei_jing, jing_shi) -> (bei, jing, shi)."""
    if not pairs:
        return ()
    syllables = list(pairs[0].split("_"))
    for pair in pairs[1:]:
        syllables.append(pair.split("_")[1])
    return tuple(syllables)


def hit_of(fields, tier, plan):
    name = fields.get("name", "")
    if tier == "exact" and normalise_name(name) != plan.whole_name:
        tier = "former_name"  # the query is a former name, whole
    name_spans = [] if tier.startswith("former_") else _spans(name, tier, plan)
    uscc = fields.get("uscc", "")
    uscc_spans = []
    if tier in ("uscc", "uscc_prefix"):
        code = plan.uscc_exact or (plan.uscc_prefix or plan.uscc_long_prefix or "").upper()
        uscc_spans = [(0, len(code))] if uscc.startswith(code) else []
    snippet_field, snippet_html = _snippet(fields, tier, plan, bool(name_spans))
    return Hit(
        uscc=uscc,
        name=name,
        name_html=mark(name, name_spans),
        grade=fields.get("grade", ""),
        org_type=fields.get("org_type", ""),
        district_code=fields.get("district_code", ""),
        evaluation_level=fields.get("evaluation_level", EVALUATION_NONE),
        score=fields.get("score"),
        registered_on=fields.get("registered_on"),
        match=tier,
        uscc_html=mark(uscc, uscc_spans),
        snippet_field=snippet_field,
        snippet_html=snippet_html,
    )


def _snippet(fields, tier, plan, name_marked):
    """Return (field, marked excerpt) to show under a hit: why it matched, or what it does."""
    if tier == "person":
        person = fields.get("legal_representative") or ""
        return "legal_representative", mark(person, term_spans(person, plan.bigrams))
    if tier in FREE_TEXT_TIERS:
        excerpt = snippet(fields.get(tier), plan.text_words)
        if excerpt is not None:
            return tier, excerpt
    former_names = (fields.get("former_names") or "").split("\n")
    if former_names[0] and (tier.startswith("former_") or (tier == "exact" and not name_marked)):
        text = "; ".join(former_names)
        spans = []
        position = 0
        for former_name in former_names:
            spans.extend((position + a, position + b) for a, b in _spans(former_name, tier, plan))
            position += len(former_name) + 2
        return "former_names", mark(text, spans)
    for field_name in ("business_scope", "address"):
        excerpt = snippet(fields.get(field_name), plan.bigrams)
        if excerpt is not None:
            return field_name, excerpt
    excerpt = opening(fields.get("business_scope"))
    return ("business_scope", excerpt) if excerpt else (None, None)

