"""Reconciliation: names as people typed them -> published organisations, with scores; and what to add to them.

Plain arguments in, plain data out (the views make the JSON). Candidates
come from the search engine (``portal.search.candidates``): its best matches
for the text, and the names sharing most of its character bigrams. Each is
scored by how close its name is to what was typed (both without 北京市 or
北京 in front and without spaces: an edit distance, as a share of the
length), then by the evidence of the query's properties (district and
organisation type): agreeing adds a little, contradicting takes much away.
A candidate below ``SCORE_MINIMUM`` is dropped: a name that is not on the
public list gets no candidate, however it was spelled.

Only published organisations are ever read (the search checks each hit
against the portal DB; extension and preview query ``PUBLISHED``): an
unpublished code is answered exactly as an unknown one.
"""

import unicodedata
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.publication.models import Organisation
from portal.publication.state import PUBLISHED
from portal.reconcile.protocol import EXTEND_PROPERTIES, QUERY_PROPERTIES
from portal.reference import DISTRICT_NAMES_ZH, DISTRICTS, ORG_TYPES
from portal.search.understanding import MUNICIPAL, OPTIONAL_WORDS
from portal.uscc import valid_uscc

#: Candidates read from the search engine for one query (before scoring and the query's limit).
CANDIDATES_READ = 20
#: A candidate scoring below this is not one (a name two characters away in ten).
SCORE_MINIMUM = 85.0
#: What the evidence of one property adds when it agrees, and takes away when it contradicts.
AGREEING_PROPERTY = 2.0
CONTRADICTING_PROPERTY = 20.0
#: A match on a former name is worth this share of one on the current name.
FORMER_NAME_WEIGHT = 0.95
#: A name typed without its district, when no district column says which, is worth this share of the whole name.
DISTRICT_LEFT_OUT_WEIGHT = 0.9
#: Search tiers that mean the query was the organisation's code.
CODE_TIERS = ("uscc", "org_code")
#: What the properties are called: those a query may give, and those the data extension adds.
PROPERTY_LABELS = {
    "district": _l("District"),
    "org_type": _l("Organisation type"),
    "grade": _l("Credit grade"),
    "score": _l("Credit score"),
    "uscc": _l("Unified social credit code"),
    "report_url": _l("Credit report"),
}


@dataclass(frozen=True)
class Candidate:
    uscc: str
    name: str
    org_type: str
    score: float
    match: bool


def name_core(name):
    """Return a name as compared: NFKC, lower case, no spaces, without 北京市 or 北京 in front."""
    core = _compact(name)
    for word in OPTIONAL_WORDS:
        if core.startswith(word) and len(core) > len(word):
            return core[len(word) :]
    return core


def _compact(name):
    return "".join(unicodedata.normalize("NFKC", name or "").lower().split())


def edit_distance(first, second):
    """Return the Levenshtein distance of two texts (insertions, deletions and substitutions of characters)."""
    if len(first) < len(second):
        first, second = second, first
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i]
        for j, b in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]


def similarity(first, second):
    """Return how alike two name cores are, from 0 to 1 (1: the same)."""
    if not first or not second:
        return 0.0
    return 1.0 - edit_distance(first, second) / max(len(first), len(second))


def search_text(text):
    """Return the text to search for: spaces between Chinese characters removed (北京市 朝阳区 … is one name)."""
    text = unicodedata.normalize("NFKC", text)
    words = text.split()
    joined = words[:1]
    for word in words[1:]:
        if joined[-1] and not joined[-1][-1].isascii() and not word[0].isascii():
            joined[-1] += word
        else:
            joined.append(word)
    return " ".join(joined)


def reconcile(query, publication_version=None, searcher=None):
    """Return the Candidates for one ``protocol.Query``, best first, at most ``query.limit``."""
    from portal.search.candidates import name_candidates

    text = search_text(query.text)
    found = name_candidates(text, CANDIDATES_READ, searcher=searcher, publication_version=publication_version)
    scored = []
    for order, (fields, tier) in enumerate(found):
        if query.org_type and fields.get("org_type") != query.org_type:
            continue
        closeness = 1.0 if tier in CODE_TIERS else _closeness(text, fields, query.districts)
        agreeing, contradicting = _evidence(query, fields)
        score = min(100.0, 100.0 * closeness + AGREEING_PROPERTY * agreeing) - CONTRADICTING_PROPERTY * contradicting
        if score >= SCORE_MINIMUM:
            scored.append((round(score, 1), closeness == 1.0 and not contradicting, order, fields))
    scored.sort(key=lambda item: (-item[0], item[2]))
    exact = sum(1 for _, whole, _, _ in scored if whole)
    return [
        Candidate(fields["uscc"], fields["name"], fields.get("org_type", ""), score, whole and exact == 1)
        for score, whole, _, fields in scored[: query.limit]
    ]


def _closeness(text, fields, districts):
    """Return how close the typed name is to the candidate's name, former names and name without its district."""
    core, own = name_core(text), name_core(fields.get("name"))
    # Also as typed, 北京 and all: a character wrong in 北京市 is still the same name (北做教师观鸟协会).
    closeness = max(similarity(core, own), similarity(_compact(text), _compact(fields.get("name"))))
    local = _without_district(own, fields.get("district_code"))
    if local != own:
        # 青少年发展基金会 for 北京市海淀区青少年发展基金会: the district may be in a column of its own.
        weight = 1.0 if fields.get("district_code") in districts else DISTRICT_LEFT_OUT_WEIGHT
        closeness = max(closeness, weight * similarity(core, local))
    former_names = [name for name in (fields.get("former_names") or "").split("\n") if name]
    former = max((similarity(core, name_core(name)) for name in former_names), default=0.0)
    return max(closeness, FORMER_NAME_WEIGHT * former)


def _without_district(core, district_code):
    """Return a name core without its registration district in front (朝阳区 or 朝阳)."""
    district = DISTRICT_NAMES_ZH.get(district_code)
    if district and district_code != MUNICIPAL:
        for word in (district, district.removesuffix("区")):
            if core.startswith(word) and len(core) > len(word) + 1:
                return core[len(word) :]
    return core


def _evidence(query, fields):
    """Return (agreeing, contradicting): how many of the query's properties the candidate agrees with, and not."""
    agreeing = contradicting = 0
    for wanted, value in ((query.districts, fields.get("district_code")), (query.org_types, fields.get("org_type"))):
        if wanted:
            if value in wanted:
                agreeing += 1
            else:
                contradicting += 1
    return agreeing, contradicting


# -- what the service tells about organisations ----------------------------------------------


def published_organisations(usccs):
    """Return {uscc: Organisation} of the codes among ``usccs`` that are published now (others are left out)."""
    codes = {code for code in map(valid_uscc, usccs) if code is not None}
    if not codes:
        return {}
    rows = db.session.execute(select(Organisation).where(Organisation.uscc.in_(sorted(codes)), PUBLISHED)).scalars()
    return {row.uscc: row for row in rows}


def published_organisation(identifier):
    """Return the published Organisation of a code (spaces and case aside), or None for any other."""
    code = valid_uscc(identifier)
    return published_organisations([code]).get(code) if code is not None else None


def extension_rows(ids, properties, report_url):
    """Return {id: {property: [value objects]}} for the data extension; an id not published gets empty lists.

    ``report_url(uscc)`` gives a report's absolute address.
    """
    found = published_organisations(ids)
    rows = {}
    for identifier in ids:
        organisation = found.get(valid_uscc(identifier))
        rows[identifier] = {
            name: _extension_values(name, organisation, report_url) if organisation is not None else []
            for name in properties
        }
    return rows


def _extension_values(name, organisation, report_url):
    if name == "grade":
        return [{"str": organisation.grade}] if organisation.grade else []
    if name == "score":
        return [{"float": float(organisation.score)}] if organisation.score is not None else []
    if name == "uscc":
        return [{"str": organisation.uscc}]
    return [{"str": report_url(organisation.uscc)}]


def types(locale=None):
    """Return the service's types (organisation types) as [{"id", "name"}], named in ``locale``."""
    with force_locale(locale or "zh"):
        return [{"id": code, "name": str(label)} for code, label in ORG_TYPES.items()]


def properties(names, locale=None):
    """Return the properties ``names`` as [{"id", "name"}], named in ``locale``."""
    with force_locale(locale or "zh"):
        return [{"id": name, "name": str(PROPERTY_LABELS[name])} for name in names]


def query_properties(locale=None):
    """Return the properties a query may give as evidence (suggest/property)."""
    return properties(QUERY_PROPERTIES, locale)


def extension_properties(locale=None):
    """Return the properties the data extension adds (propose_properties)."""
    return properties(EXTEND_PROPERTIES, locale)


def district_label(code, locale=None):
    """Return a district's name in ``locale``."""
    with force_locale(locale or "zh"):
        label = DISTRICTS.get(code)
        return str(label) if label is not None else code


def matching(entries, prefix):
    """Return the entries ({"id", "name"}) whose id or name starts with ``prefix``, then those containing it."""
    prefix = unicodedata.normalize("NFKC", prefix or "").strip().lower()
    if not prefix:
        return list(entries)
    starting = [entry for entry in entries if entry["id"].startswith(prefix) or entry["name"].lower().startswith(prefix)]
    containing = [
        entry for entry in entries if entry not in starting and (prefix in entry["id"] or prefix in entry["name"].lower())
    ]
    return starting + containing
