"""One hit of a search, as shown: the name with what matched marked, the code, and a snippet saying why."""

from functools import lru_cache

from portal.search.analysis import cjk_bigrams, normalise_name, query_text_words
from portal.search.highlight import initials_spans, mark, opening, snippet, syllable_spans, term_spans
from portal.search.matcher import FREE_TEXT_TIERS, shown_tier
from portal.search.results import Hit
from portal.search.schema import EVALUATION_NONE
from portal.search.understanding import OPTIONAL_WORDS


def _spans(text, tier, plan):
    """Return the ranges of ``text`` (a name) that matched, for a hit found by ``tier``."""
    tier = tier.removeprefix("former_")
    if tier in ("exact", "name_words", "name", "org_code", "person_exact"):
        return term_spans(text, plan.bigrams)
    if tier.startswith(("understood", "district", "partial")):
        return term_spans(text, part_bigrams(plan))
    if tier == "pinyin":
        return syllable_spans(text, [pairs_to_syllables(pairs) for pairs in plan.pinyin_pairs])
    if tier == "homophone":
        return syllable_spans(text, [pairs_to_syllables(plan.homophone_pairs)])
    if tier == "initials":
        return initials_spans(text, plan.text.lower().replace(" ", "").replace("'", ""))
    return []


def part_bigrams(plan):
    """Return the bigrams of every part of an understood query, synonyms and districts included (what to mark)."""
    if plan.understanding is None:
        return plan.bigrams
    return _understood_bigrams(plan.understanding) or plan.bigrams


def part_words(plan):
    """Return the free-text words of every part of an understood query, synonyms included."""
    if plan.understanding is None:
        return plan.text_words
    return _understood_words(plan.understanding) or plan.text_words


def _han_texts(understanding):
    return [alternative for part in understanding.parts if part.kind == "han" for alternative in part.alternatives]


@lru_cache(maxsize=256)
def _understood_bigrams(understanding):
    texts = _han_texts(understanding)
    texts.extend(word for word in understanding.district_words if not word.isascii())
    return tuple(dict.fromkeys(bigram for text in texts for bigram in cjk_bigrams(text)))


@lru_cache(maxsize=256)
def _understood_words(understanding):
    return tuple(dict.fromkeys(word for text in _han_texts(understanding) for word in query_text_words(text)))


def pairs_to_syllables(pairs):
    """Return the syllables of a sequence of overlapping pairs: (bei_jing, jing_shi) -> (bei, jing, shi)."""
    if not pairs:
        return ()
    syllables = list(pairs[0].split("_"))
    for pair in pairs[1:]:
        syllables.append(pair.split("_")[1])
    return tuple(syllables)


def _without_optional_words(name):
    for word in OPTIONAL_WORDS:
        name = name.removeprefix(word)
    return name


def hit_of(fields, found_by, plan):
    """Return the Hit of a document's stored fields, found by the tier ``found_by``."""
    shown = shown_tier(found_by, plan)
    name = fields.get("name", "")
    if found_by == "exact" and _without_optional_words(normalise_name(name)) != _without_optional_words(
        plan.whole_name
    ):
        shown = found_by = "former_name"  # the query is a former name, whole
    marked_by = found_by if found_by.startswith(("understood", "district", "partial")) and shown != "pinyin" else shown
    name_spans = [] if shown.startswith("former_") else _spans(name, marked_by, plan)
    uscc = fields.get("uscc", "")
    uscc_spans = []
    if shown in ("uscc", "uscc_prefix"):
        code = plan.uscc_exact or (plan.uscc_prefix or plan.uscc_long_prefix or "").upper()
        if found_by == "org_code":
            uscc_spans = [(8, 17)]
        else:
            uscc_spans = [(0, len(code))] if uscc.startswith(code) else []
    snippet_tier = found_by if found_by in FREE_TEXT_TIERS else shown
    snippet_field, snippet_html = _snippet(fields, snippet_tier, plan, bool(name_spans))
    if found_by == "understood_text" and snippet_field in ("business_scope", "address"):
        shown = snippet_field
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
        match=shown,
        uscc_html=mark(uscc, uscc_spans),
        snippet_field=snippet_field,
        snippet_html=snippet_html,
    )


def _snippet(fields, tier, plan, name_marked):
    """Return (field, marked excerpt) to show under a hit: why it matched, or what it does."""
    if tier == "person":
        person = fields.get("legal_representative") or ""
        return "legal_representative", mark(person, term_spans(person, plan.bigrams))
    if tier in FREE_TEXT_TIERS and tier in fields:
        excerpt = snippet(fields.get(tier), plan.text_words)
        if excerpt is not None:
            return tier, excerpt
    if tier in FREE_TEXT_TIERS or tier == "partial" or tier.startswith("understood") and not name_marked:
        # Found in the text: show where, so that the visitor sees why.
        words = part_words(plan)
        for field_name in ("business_scope", "address", "supervising_unit"):
            excerpt = snippet(fields.get(field_name), words)
            if excerpt is not None:
                return field_name, excerpt
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

