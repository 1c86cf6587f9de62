"""Reference data: codes used in the scoring contract and their labels.

Labels are lazy strings for display only; codes are what the databases, the
index and the JSON API carry.
"""

from flask_babel import lazy_gettext as _l

#: Beijing's registration districts (GB/T 2260). 110000 is the municipal bureau.
DISTRICTS = {
    "110000": _l("北京市（市级）"),
    "110101": _l("东城区"),
    "110102": _l("西城区"),
    "110105": _l("朝阳区"),
    "110106": _l("丰台区"),
    "110107": _l("石景山区"),
    "110108": _l("海淀区"),
    "110109": _l("门头沟区"),
    "110111": _l("房山区"),
    "110112": _l("通州区"),
    "110113": _l("顺义区"),
    "110114": _l("昌平区"),
    "110115": _l("大兴区"),
    "110116": _l("怀柔区"),
    "110117": _l("平谷区"),
    "110118": _l("密云区"),
    "110119": _l("延庆区"),
}

#: Plain Chinese district names, for generated data and the search index.
DISTRICT_NAMES_ZH = {
    "110000": "北京市",
    "110101": "东城区",
    "110102": "西城区",
    "110105": "朝阳区",
    "110106": "丰台区",
    "110107": "石景山区",
    "110108": "海淀区",
    "110109": "门头沟区",
    "110111": "房山区",
    "110112": "通州区",
    "110113": "顺义区",
    "110114": "昌平区",
    "110115": "大兴区",
    "110116": "怀柔区",
    "110117": "平谷区",
    "110118": "密云区",
    "110119": "延庆区",
}

#: Organisation types (USCC second character: 1 = 社会团体, 2 = 民办非企业单位/社会服务机构, 3 = 基金会).
ORG_TYPES = {
    "social_group": _l("社会团体"),
    "social_service": _l("社会服务机构（民办非企业单位）"),
    "foundation": _l("基金会"),
}
ORG_TYPE_NAMES_ZH = {
    "social_group": "社会团体",
    "social_service": "社会服务机构",
    "foundation": "基金会",
}
#: USCC registration-authority/type prefix of each organisation type.
ORG_TYPE_USCC_PREFIX = {"social_group": "51", "social_service": "52", "foundation": "53"}

REGISTRATION_STATUSES = {
    "normal": _l("正常"),
    "cancelled": _l("注销"),
    "revoked": _l("撤销"),
}

EVENT_STATUSES = {
    "active": _l("有效"),
    "expired": _l("已过期"),
    "repaired": _l("已修复"),
    "objection": _l("异议处理中"),
    "withdrawn": _l("已撤回"),
}

LIST_TYPES = {
    "abnormal_activity": _l("活动异常名录"),
    "serious_violation": _l("严重违法失信名单"),
}

GRADES = ("A", "B", "C", "D")
PUBLISHED_GRADES = ("A", "B")


def evaluation_label(level):
    """Return the label of a 评估等级 (1..5 -> '1A'..'5A'), or None."""
    return f"{level}A" if level else None


def district_label(code):
    return DISTRICTS.get(code, code)
