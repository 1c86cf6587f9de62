"""Invented organisation names, people, addresses and texts, from the word lists.

Everything here is composed at random from common naming patterns of Beijing
social organisations (``name_words``, ``detail_words``); no name, person or
address is taken from a register. Name builders take a ``random.Random`` so a
seed reproduces the same names.
"""

from bisect import bisect
from itertools import accumulate

from portal.demo.detail_words import (
    COMMUNITY_ENDINGS,
    COMPOUND_SURNAMES,
    FIELD_OF_WORD,
    GIVEN_NAMES,
    GIVEN_NAME_CHARACTERS,
    SCOPE_OF_FIELD,
    SCOPE_OF_KIND,
    SCOPE_SENTENCES,
    STREETS,
    SUPERVISING_UNITS,
    SURNAMES,
    TOWNS,
    VILLAGE_ENDINGS,
)
from portal.demo.name_words import (
    BRANDS,
    CHAMBER_ORIGINS,
    CHAMBER_TRADES,
    FOUNDATION_KINDS,
    FOUNDATION_TOPICS,
    GROUP_QUALIFIERS,
    GROUP_SUFFIX_WEIGHTS,
    GROUP_TOPICS,
    LOCALITIES,
    MUNICIPAL,
    PLACE_NAMED_KINDS,
    SERVICE_FIELDS,
    SERVICE_KIND_WEIGHTS,
    SERVICE_TOPICS,
    UNQUALIFIED_TOPICS,
)
from portal.reference import DISTRICT_NAMES_ZH


def person_name(rng):
    """Return an invented Chinese personal name: a surname, then one or two characters."""
    draw = rng.random()
    surname = rng.choice(COMPOUND_SURNAMES) if draw < 0.01 else rng.choice(SURNAMES)
    if draw < 0.3:
        return surname + rng.choice(GIVEN_NAME_CHARACTERS)
    if draw < 0.65:
        return surname + rng.choice(GIVEN_NAMES)
    return surname + rng.choice(GIVEN_NAME_CHARACTERS) + rng.choice(GIVEN_NAME_CHARACTERS)


def registration_authority(registrar_code):
    """Return the 民政局 that registers organisations at ``registrar_code``."""
    if registrar_code == MUNICIPAL:
        return "北京市民政局"
    return f"北京市{DISTRICT_NAMES_ZH[registrar_code]}民政局"


def address(rng, district_code):
    """Return an invented address in ``district_code``: a street and number, or a 社区 or a 村."""
    district = DISTRICT_NAMES_ZH[district_code]
    street = rng.choice(STREETS[district_code])
    number = rng.randint(1, 299)
    shape = rng.random()
    if shape < 0.3:
        return f"北京市{district}{street}{number}号"
    if shape < 0.6:
        building, floor, room = rng.randint(1, 12), rng.randint(1, 20), rng.randint(1, 30)
        return f"北京市{district}{street}{number}号院{building}号楼{floor}{room:02d}室"
    if shape < 0.75:
        return f"北京市{district}{street}{number}号{rng.randint(1, 6)}层"
    locality = rng.choice(LOCALITIES[district_code])
    if locality in TOWNS:
        village = rng.choice(SURNAMES) + rng.choice(VILLAGE_ENDINGS)
        return f"北京市{district}{locality}镇{village}村{number}号"
    community = locality + rng.choice(COMMUNITY_ENDINGS)
    if rng.random() < 0.5:
        return f"北京市{district}{locality}街道{community}社区{rng.randint(1, 40)}号楼"
    return f"北京市{district}{locality}街道{community}社区{street}{number}号"


def supervising_unit(rng, name, registrar_code):
    """Return a plausible 业务主管单位 for an organisation called ``name``, or None."""
    if ("商会" in name or "促进会" in name) and rng.random() < 0.7:
        return None  # trade bodies register directly, without a supervising unit
    if rng.random() < 0.12:
        return None
    field = next(
        (field for words, field in FIELD_OF_WORD if any(w in name for w in words)), "civil"
    )
    place = (
        "北京市" if registrar_code == MUNICIPAL else "北京市" + DISTRICT_NAMES_ZH[registrar_code]
    )
    return SUPERVISING_UNITS[field].format(place=place)


def business_scope(rng, org_type, topic, name=""):
    """Return three to five clauses of invented 业务范围 about ``topic``.

    What the kind of organisation (the suffix of ``name``) or its field does
    comes first, then clauses any organisation of ``org_type`` might have.
    """
    specific = SCOPE_OF_KIND.get(_suffix(name))
    if specific is None and org_type == "social_service":
        specific = next(
            (found for words, found in SCOPE_OF_FIELD if any(w in topic for w in words)), None
        )
    sentences = rng.sample(specific, min(len(specific), rng.randint(1, 3))) if specific else []
    sentences += rng.sample(SCOPE_SENTENCES[org_type], rng.randint(2, 3))
    return "；".join(s.format(topic=topic) for s in sentences) + "。"


def _place(rng, registrar_code, locality_chance):
    """Return the place part of a name: 北京市, 北京市X区 or 北京市X区Y."""
    if registrar_code == MUNICIPAL:
        return "北京市"
    place = "北京市" + DISTRICT_NAMES_ZH[registrar_code]
    if rng.random() < locality_chance:
        place += rng.choice(LOCALITIES[registrar_code])
    return place


class Weighted:
    """A weighted random choice among the keys of ``weights``, computed once."""

    def __init__(self, weights):
        self.population = list(weights)
        self.cumulative = list(accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def pick(self, rng):
        # Like rng.choices(..., cum_weights=...)[0], without its per-call overhead.
        return self.population[bisect(self.cumulative, rng.random() * self.total)]


_GROUP_SUFFIX = Weighted(GROUP_SUFFIX_WEIGHTS)
_SERVICE_SUFFIX = Weighted(SERVICE_KIND_WEIGHTS)


def social_group_name(rng, registrar_code):
    """Return (name, topic) of an invented 社会团体."""
    suffix = _GROUP_SUFFIX.pick(rng)
    place = _place(rng, registrar_code, 0.1)
    if registrar_code == MUNICIPAL and rng.random() < 0.4:
        place = "北京"  # many municipal groups are 北京X协会 rather than 北京市X协会
    if suffix == "商会":
        if rng.random() < 0.6:
            topic = rng.choice(CHAMBER_ORIGINS)
            return f"{place}{topic}企业商会", "企业经营"
        topic = rng.choice(CHAMBER_TRADES)
        return f"{place}{topic}商会", topic.removesuffix("行业")
    topic = rng.choice(GROUP_TOPICS[suffix])
    qualifier = ""
    if suffix != "学会" and rng.random() < 0.35:
        qualifier = rng.choice(GROUP_QUALIFIERS)
        if qualifier in topic or topic in qualifier or topic in UNQUALIFIED_TOPICS:
            qualifier = ""  # not 家庭家庭服务联合会, nor 企业家盲人协会
    if suffix == "学会" and topic.endswith("学"):
        return f"{place}{topic}会", topic  # 心理学会, not 心理学学会
    return f"{place}{qualifier}{topic}{suffix}", topic


def social_service_name(rng, registrar_code):
    """Return (name, topic) of an invented 社会服务机构."""
    suffix = _SERVICE_SUFFIX.pick(rng)
    field = rng.choice(SERVICE_FIELDS[suffix])
    place = _place(rng, registrar_code, 0.35)
    if registrar_code == MUNICIPAL and rng.random() < 0.35:
        place = "北京"  # 北京X服务中心 as well as 北京市X服务中心
    if suffix in ("幼儿园", "托育中心"):
        topic = SERVICE_TOPICS[suffix]  # a 双语幼儿园 is about 学前教育 too
    elif suffix == "培训学校":
        topic = f"{field}培训"
    elif suffix == "康复中心":
        topic = f"{field}康复"
    else:
        topic = field or SERVICE_TOPICS.get(suffix)
    has_locality = place not in ("北京", "北京市", "北京市" + DISTRICT_NAMES_ZH[registrar_code])
    if suffix in PLACE_NAMED_KINDS and has_locality and rng.random() < 0.5:
        return f"{place}{suffix}", topic  # a locality's own home: 北京市通州区宋庄敬老院
    return f"{place}{rng.choice(BRANDS)}{field}{suffix}", topic


def foundation_name(rng, registrar_code):
    """Return (name, topic) of an invented 基金会."""
    place = "北京市" if rng.random() < 0.3 else "北京"
    if registrar_code != MUNICIPAL:
        place = "北京市" + DISTRICT_NAMES_ZH[registrar_code]
    shape = rng.random()
    kind = rng.choice(FOUNDATION_KINDS)
    if shape < 0.35:
        topic = rng.choice(FOUNDATION_TOPICS)
        return f"{place}{topic}{kind}基金会", topic
    if shape < 0.7:
        return f"{place}{rng.choice(BRANDS)}{kind}基金会", "公益慈善"
    topic = rng.choice(FOUNDATION_TOPICS)
    return f"{place}{rng.choice(BRANDS)}{topic}{kind}基金会", topic


NAME_BUILDERS = {
    "social_group": social_group_name,
    "social_service": social_service_name,
    "foundation": foundation_name,
}

CHINESE_ORDINALS = "一二三四五六七八九十"
NAME_SUFFIXES = """
    基金会 社会工作事务所 培训学校 养老照料中心 托育中心 服务中心 康复中心 养老院 敬老院 老年公寓
    幼儿园 研究会 促进会 联合会 协会 学会 商会
""".split()

#: Districts renamed since 1990: code -> (former district name, year of the change).
FORMER_DISTRICT_NAMES = {
    "110101": ("崇文区", 2010),
    "110102": ("宣武区", 2010),
    "110118": ("密云县", 2015),
    "110119": ("延庆县", 2015),
}


def name_key(name):
    """Return what must be unique about a name: the name without the 北京市 or 北京 it starts with.

    A register refuses a name that differs from a registered one only by
    市 (北京青少年发展基金会 beside 北京市青少年发展基金会), so the demo does too.
    """
    if name.startswith("北京市"):
        return name[3:]
    if name.startswith("北京"):
        return name[2:]
    return name


#: Older names of a kind of organisation, for former names: 托儿所 became 幼儿园, 服务社 服务中心.
FORMER_SUFFIXES = {
    "幼儿园": ["托儿所", "幼稚园"],
    "托育中心": ["托儿所"],
    "养老院": ["敬老院", "托老所"],
    "养老照料中心": ["托老所", "敬老院"],
    "老年公寓": ["敬老院"],
    "服务中心": ["服务社", "服务站"],
    "社会工作事务所": ["社会工作服务社", "社工服务中心"],
    "康复中心": ["康复站", "训练中心"],
    "培训学校": ["培训中心", "进修学校"],
    "协会": ["联谊会", "研究会"],
    "研究会": ["协会", "联谊会"],
    "促进会": ["协会"],
}


def unique_organisation_name(rng, org_type, registrar_code, taken):
    """Return (name, topic) of a new organisation whose ``name_key`` is not in ``taken``.

    The key is added to ``taken``. After many collisions an ordinal such as
    第二 is inserted before the suffix, as real registers do.
    """
    build = NAME_BUILDERS[org_type]
    for _ in range(100):
        name, topic = build(rng, registrar_code)
        if name_key(name) not in taken:
            taken.add(name_key(name))
            return name, topic
    for number in range(2, 10_000):
        ordinal = CHINESE_ORDINALS[number - 1] if number <= 10 else str(number)
        candidate = f"{name}第{ordinal}"
        for suffix in NAME_SUFFIXES:
            if name.endswith(suffix):
                candidate = f"{name.removesuffix(suffix)}第{ordinal}{suffix}"
                break
        if name_key(candidate) not in taken:
            taken.add(name_key(candidate))
            return candidate, topic
    raise RuntimeError("ran out of organisation names")


def _suffix(name):
    return next((suffix for suffix in NAME_SUFFIXES if name.endswith(suffix)), "")


def other_name(rng, org_type, registrar_code, name, registered_on, taken):
    """Return a name the organisation ``name`` might have had (or take), its key not in ``taken``.

    Organisations from districts that were merged or renamed kept the old
    district in their name; others changed a word but kept their kind.
    """
    if registrar_code in FORMER_DISTRICT_NAMES and registered_on is not None:
        old_district, year = FORMER_DISTRICT_NAMES[registrar_code]
        current = DISTRICT_NAMES_ZH[registrar_code]
        candidate = name.replace(current, old_district, 1)
        if registered_on.year < year and candidate != name and name_key(candidate) not in taken:
            taken.add(name_key(candidate))
            return candidate
    suffix = _suffix(name)
    if registered_on is not None and suffix in FORMER_SUFFIXES and rng.random() < 0.4:
        # The same organisation under its kind's older name: 北京市海淀区春苗托儿所.
        candidate = name.removesuffix(suffix) + rng.choice(FORMER_SUFFIXES[suffix])
        if name_key(candidate) not in taken:
            taken.add(name_key(candidate))
            return candidate
    build = NAME_BUILDERS[org_type]
    for _ in range(30):
        candidate, _topic = build(rng, registrar_code)
        if candidate.endswith(suffix) and name_key(candidate) not in taken:
            taken.add(name_key(candidate))
            return candidate
    return unique_organisation_name(rng, org_type, registrar_code, taken)[0]
