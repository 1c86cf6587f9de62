"""Reference data: codes used in the scoring contract and their labels.

Labels are lazy strings with English message ids (the zh catalog gives the
Chinese), for display only; codes are what the databases, the
index and the JSON API carry.
"""

from flask_babel import lazy_gettext as _l

#: Beijing's registration districts (GB/T 2260). 110000 is the municipal bureau.
DISTRICTS = {
    "110000": _l("Beijing (municipal)"),
    "110101": _l("Dongcheng"),
    "110102": _l("Xicheng"),
    "110105": _l("Chaoyang"),
    "110106": _l("Fengtai"),
    "110107": _l("Shijingshan"),
    "110108": _l("Haidian"),
    "110109": _l("Mentougou"),
    "110111": _l("Fangshan"),
    "110112": _l("Tongzhou"),
    "110113": _l("Shunyi"),
    "110114": _l("Changping"),
    "110115": _l("Daxing"),
    "110116": _l("Huairou"),
    "110117": _l("Pinggu"),
    "110118": _l("Miyun"),
    "110119": _l("Yanqing"),
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
    "social_group": _l("Social group"),
    "social_service": _l("Social service organisation"),
    "foundation": _l("Foundation"),
}
ORG_TYPE_NAMES_ZH = {
    "social_group": "社会团体",
    "social_service": "社会服务机构",
    "foundation": "基金会",
}
#: USCC registration-authority/type prefix of each organisation type.
ORG_TYPE_USCC_PREFIX = {"social_group": "51", "social_service": "52", "foundation": "53"}

REGISTRATION_STATUSES = {
    "normal": _l("Normal"),
    "cancelled": _l("Cancelled"),
    "revoked": _l("Revoked"),
}

EVENT_STATUSES = {
    "active": _l("Active"),
    "expired": _l("Expired"),
    "repaired": _l("Repaired"),
    "objection": _l("Under objection"),
    "withdrawn": _l("Withdrawn"),
}

LIST_TYPES = {
    "abnormal_activity": _l("List of organisations with abnormal activities"),
    "serious_violation": _l("List of seriously illegal and dishonest organisations"),
}

