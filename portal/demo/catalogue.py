"""The demo rule set: dimensions, grade bands and plus/minus items.

It is marked as a demo (``is_demo``, 演示规则（非官方）) and is no official
standard. Points here are whole points; the factory works in integer cents.
"""

from datetime import date
from typing import NamedTuple

RULE_SET_VERSION = "demo-2026.1"
RULE_SET_NAME = "北京市社会组织信用评价规则 · 演示规则（非官方）"
RULE_SET_DESCRIPTION = (
    "演示数据生成器使用的规则集，仅用于演示和测试，不是任何官方评价标准。"
    "基础分100分，按六个维度加减分，根据总分确定信用等级。"
)
RULE_SET_EFFECTIVE_FROM = date(2026, 1, 1)
BASE_SCORE = 100

#: (code, name_zh, name_en, max_points, base_points): base points sum to BASE_SCORE.
DIMENSIONS = [
    ("party_building", "党组织建设", "Party organisation building", 15, 10),
    ("integrity", "诚信建设", "Integrity building", 30, 25),
    ("governance", "内部治理", "Internal governance", 25, 20),
    ("operations", "规范运营", "Compliant operation", 25, 20),
    ("evaluation", "评估等级", "Evaluation level", 15, 10),
    ("social", "社会评价", "Social evaluation", 20, 15),
]

#: (grade, min_score, max_score, description): inclusive, contiguous, 2 decimals, covering
#: exactly the reachable range 0 .. sum of the dimension maxima (130).
GRADE_BANDS = [
    ("A", "95.00", "130.00", "信用优秀"),
    ("B", "80.00", "94.99", "信用良好"),
    ("C", "60.00", "79.99", "信用一般，需关注"),
    ("D", "0.00", "59.99", "信用较差"),
]

LAW_CREDIT = "《社会组织信用信息管理办法》"
LAW_GROUPS = "《社会团体登记管理条例》"
LAW_EVALUATION = "《社会组织评估管理办法》"
LAW_DEMO = "《北京市社会组织信用评价规则（演示）》"


class Item(NamedTuple):
    """A plus or minus item of the demo rule set."""

    dimension: str
    name_zh: str
    name_en: str
    points: int  # signed: + plus item, - minus item
    validity_months: int
    legal_basis: str
    department: str  # key of DEPARTMENTS, or "civil" for the registration authority
    description: str  # an event's description; {year} is the year it concerns
    severity: str | None = None  # minus items: minor 轻微 | general 一般 | serious 严重


ITEMS = {
    "PB01": Item(
        "party_building",
        "建立党组织并规范开展活动",
        "Party organisation established and active",
        points=3,
        validity_months=24,
        legal_basis=f"{LAW_DEMO}第八条",
        department="party",
        description="已建立党组织，{year}年按规定开展组织生活",
    ),
    "PB02": Item(
        "party_building",
        "党建工作获市级以上表彰",
        "Party-building work commended at municipal level or above",
        points=2,
        validity_months=36,
        legal_basis=f"{LAW_DEMO}第八条",
        department="party",
        description="{year}年党建工作获市级表彰",
    ),
    "PB03": Item(
        "party_building",
        "应建未建党组织",
        "Party organisation required but not established",
        points=-3,
        validity_months=12,
        legal_basis=f"{LAW_DEMO}第九条",
        department="party",
        description="{year}年核查发现具备条件但未建立党组织",
    ),
    "PB04": Item(
        "party_building",
        "党组织未按规定开展活动",
        "Party organisation activities not held as required",
        points=-2,
        validity_months=12,
        legal_basis=f"{LAW_DEMO}第九条",
        department="party",
        description="{year}年党组织未按规定开展组织生活",
    ),
    "IN01": Item(
        "integrity",
        "信用承诺履行良好",
        "Credit commitment fulfilled",
        points=2,
        validity_months=12,
        legal_basis=f"{LAW_CREDIT}第五条",
        department="civil",
        description="{year}年签署并履行信用承诺",
    ),
    "IN02": Item(
        "integrity",
        "未按规定报送年度工作报告",
        "Annual work report not submitted on time",
        points=-5,
        validity_months=12,
        legal_basis=f"{LAW_CREDIT}第八条",
        department="civil",
        description="{year}年度工作报告未在规定期限内报送",
    ),
    "IN03": Item(
        "integrity",
        "年度工作报告内容不实",
        "Annual work report contains false information",
        points=-3,
        validity_months=24,
        legal_basis=f"{LAW_CREDIT}第八条",
        department="civil",
        description="{year}年度工作报告中财务数据与审计报告不一致",
    ),
    "IN04": Item(
        "integrity",
        "被列入活动异常名录",
        "Listed as having abnormal activities",
        points=-10,
        validity_months=24,
        legal_basis=f"{LAW_CREDIT}第八条",
        department="civil",
        description="{year}年被登记管理机关列入活动异常名录",
    ),
    "IN05": Item(
        "integrity",
        "被列入严重违法失信名单",
        "Listed as seriously illegal and dishonest",
        points=-20,
        validity_months=36,
        legal_basis=f"{LAW_CREDIT}第十条",
        department="civil",
        description="{year}年被登记管理机关列入严重违法失信名单",
    ),
    "IN06": Item(
        "integrity",
        "未按规定进行信息公开",
        "Information not disclosed as required",
        points=-4,
        validity_months=12,
        legal_basis=f"{LAW_CREDIT}第八条",
        department="civil",
        description="{year}年未按规定公开年度工作报告和重大事项",
    ),
    "IN07": Item(
        "integrity",
        "欠缴税款",
        "Tax arrears",
        points=-6,
        validity_months=24,
        legal_basis=f"{LAW_DEMO}第十一条",
        department="tax",
        description="{year}年存在逾期未缴税款情形",
    ),
    "GV01": Item(
        "governance",
        "章程修订经核准",
        "Amended articles approved",
        points=2,
        validity_months=24,
        legal_basis=f"{LAW_GROUPS}第十四条",
        department="civil",
        description="{year}年修订章程并经登记管理机关核准",
    ),
    "GV02": Item(
        "governance",
        "未按章程按期换届",
        "Leadership election overdue",
        points=-3,
        validity_months=12,
        legal_basis=f"{LAW_GROUPS}第三十条",
        department="civil",
        description="理事会任期届满，{year}年未按章程规定换届",
    ),
    "GV03": Item(
        "governance",
        "负责人变更未按规定备案",
        "Change of responsible persons not filed",
        points=-3,
        validity_months=12,
        legal_basis=f"{LAW_GROUPS}第三十条",
        department="civil",
        description="{year}年负责人变更后未在规定期限内备案",
    ),
    "GV04": Item(
        "governance",
        "未按规定召开会员（代表）大会",
        "General assembly not held as required",
        points=-2,
        validity_months=12,
        legal_basis=f"{LAW_DEMO}第十二条",
        department="civil",
        description="{year}年未按章程规定召开会员（代表）大会",
    ),
    "GV05": Item(
        "governance",
        "内部管理制度不健全",
        "Internal management rules incomplete",
        points=-4,
        validity_months=12,
        legal_basis=f"{LAW_DEMO}第十二条",
        department="civil",
        description="{year}年检查发现财务、人事等内部管理制度不健全",
    ),
    "GV06": Item(
        "governance",
        "违规设立分支机构",
        "Branch established in breach of rules",
        points=-5,
        validity_months=24,
        legal_basis=f"{LAW_GROUPS}第三十条",
        department="civil",
        description="{year}年违规设立分支机构",
    ),
    "OP01": Item(
        "operations",
        "财务审计无保留意见",
        "Unqualified financial audit opinion",
        points=2,
        validity_months=12,
        legal_basis=f"{LAW_DEMO}第十三条",
        department="finance",
        description="{year}年度财务审计报告为无保留意见",
    ),
    "OP02": Item(
        "operations",
        "违规收取费用",
        "Fees charged in breach of rules",
        points=-5,
        validity_months=24,
        legal_basis=f"{LAW_GROUPS}第三十条",
        department="market",
        description="{year}年存在违规收取会费以外费用的情形",
    ),
    "OP03": Item(
        "operations",
        "受到警告行政处罚",
        "Administrative penalty: warning",
        points=-8,
        validity_months=24,
        legal_basis=f"{LAW_CREDIT}第八条",
        department="civil",
        description="{year}年受到登记管理机关警告行政处罚",
    ),
    "OP04": Item(
        "operations",
        "受到罚款或没收违法所得行政处罚",
        "Administrative penalty: fine or confiscation",
        points=-10,
        validity_months=36,
        legal_basis=f"{LAW_CREDIT}第十条",
        department="civil",
        description="{year}年受到罚款行政处罚",
    ),
    "OP05": Item(
        "operations",
        "受到限期停止活动行政处罚",
        "Administrative penalty: suspension of activities",
        points=-15,
        validity_months=36,
        legal_basis=f"{LAW_CREDIT}第十条",
        department="civil",
        description="{year}年受到限期停止活动行政处罚",
    ),
    "OP06": Item(
        "operations",
        "票据使用不规范",
        "Receipts used improperly",
        points=-3,
        validity_months=12,
        legal_basis=f"{LAW_DEMO}第十三条",
        department="finance",
        description="{year}年检查发现公益事业捐赠票据使用不规范",
    ),
    "OP07": Item(
        "operations",
        "住所变更未办理登记",
        "Change of domicile not registered",
        points=-4,
        validity_months=12,
        legal_basis=f"{LAW_GROUPS}第十八条",
        department="civil",
        description="{year}年住所变更后未办理变更登记",
    ),
    "EV01": Item(
        "evaluation",
        "评估等级为5A",
        "Rated 5A in evaluation",
        points=5,
        validity_months=60,
        legal_basis=f"{LAW_EVALUATION}第二十条",
        department="civil",
        description="{year}年社会组织评估获评5A等级",
    ),
    "EV02": Item(
        "evaluation",
        "评估等级为4A",
        "Rated 4A in evaluation",
        points=3,
        validity_months=60,
        legal_basis=f"{LAW_EVALUATION}第二十条",
        department="civil",
        description="{year}年社会组织评估获评4A等级",
    ),
    "EV03": Item(
        "evaluation",
        "评估等级为3A",
        "Rated 3A in evaluation",
        points=1,
        validity_months=60,
        legal_basis=f"{LAW_EVALUATION}第二十条",
        department="civil",
        description="{year}年社会组织评估获评3A等级",
    ),
    "EV04": Item(
        "evaluation",
        "评估等级被降级",
        "Evaluation level downgraded",
        points=-3,
        validity_months=24,
        legal_basis=f"{LAW_EVALUATION}第二十九条",
        department="civil",
        description="{year}年因年度检查不合格被降低评估等级",
    ),
    "SO01": Item(
        "social",
        "获得省部级以上表彰奖励",
        "Commended at provincial or ministerial level or above",
        points=3,
        validity_months=36,
        legal_basis=f"{LAW_DEMO}第十五条",
        department="civil",
        description="{year}年获得省部级表彰",
    ),
    "SO02": Item(
        "social",
        "参与公益慈善和志愿服务",
        "Took part in charity and volunteer services",
        points=2,
        validity_months=12,
        legal_basis=f"{LAW_DEMO}第十五条",
        department="civil",
        description="{year}年组织开展公益慈善和志愿服务活动",
    ),
    "SO03": Item(
        "social",
        "承接政府购买服务项目完成良好",
        "Government-commissioned project completed well",
        points=2,
        validity_months=24,
        legal_basis=f"{LAW_DEMO}第十五条",
        department="finance",
        description="{year}年承接的政府购买服务项目验收评价为优秀",
    ),
    "SO04": Item(
        "social",
        "被投诉举报查证属实",
        "Complaint found justified",
        points=-2,
        validity_months=12,
        legal_basis=f"{LAW_DEMO}第十六条",
        department="civil",
        description="{year}年被群众投诉举报，经查证属实",
    ),
    "SO05": Item(
        "social",
        "负面舆情经核实",
        "Verified negative media report",
        points=-3,
        validity_months=12,
        legal_basis=f"{LAW_DEMO}第十六条",
        department="civil",
        description="{year}年相关负面报道经核实属实",
    ),
}
#: Severity of each minus item (国家发展改革委令第36号: 轻微, 一般, 严重).
SEVERITY = {
    "PB03": "general",
    "PB04": "minor",
    "IN02": "general",
    "IN03": "general",
    "IN04": "general",
    "IN05": "serious",
    "IN06": "general",
    "IN07": "general",
    "GV02": "general",
    "GV03": "minor",
    "GV04": "minor",
    "GV05": "general",
    "GV06": "serious",
    "OP02": "general",
    "OP03": "general",
    "OP04": "serious",
    "OP05": "serious",
    "OP06": "minor",
    "OP07": "minor",
    "EV04": "general",
    "SO04": "minor",
    "SO05": "general",
}
ITEMS = {code: item._replace(severity=SEVERITY.get(code)) for code, item in ITEMS.items()}
assert all((code in SEVERITY) == (item.points < 0) for code, item in ITEMS.items())

PLUS_ITEMS = [code for code, item in ITEMS.items() if item.points > 0 and not code.startswith("EV")]
#: Minus items, with how often each is reported (mild ones are common).
MINUS_ITEM_WEIGHTS = {
    "PB03": 6,
    "PB04": 5,
    "IN02": 16,
    "IN03": 3,
    "IN06": 8,
    "IN07": 3,
    "GV02": 10,
    "GV03": 7,
    "GV04": 5,
    "GV05": 6,
    "GV06": 1,
    "OP02": 3,
    "OP03": 3,
    "OP04": 1,
    "OP06": 4,
    "OP07": 4,
    "EV04": 1,
    "SO04": 6,
    "SO05": 2,
}
#: Evaluation items by 评估等级.
EVALUATION_ITEMS = {5: "EV01", 4: "EV02", 3: "EV03"}

#: Reporting departments; "civil" is the organisation's own registration authority.
DEPARTMENTS = {
    "party": "北京市社会组织党建工作委员会（演示）",
    "tax": "国家税务总局北京市税务局",
    "finance": "北京市财政局",
    "market": "北京市市场监督管理局",
}

LIST_REASONS = {
    "abnormal_activity": [
        "未按照规定时限报送{year}年度工作报告",
        "通过登记的住所无法与社会组织取得联系",
        "未按照规定时限和要求向登记管理机关报告变更事项",
        "未按照规定公开应当公开的信息",
    ],
    "serious_violation": [
        "被列入活动异常名录满2年",
        "受到限期停止活动行政处罚",
        "被登记管理机关作出撤销登记行政处罚",
        "弄虚作假办理变更登记，受到行政处罚",
    ],
}
REMOVAL_REASONS = {
    "abnormal_activity": [
        "已补报年度工作报告，申请移出",
        "已恢复与登记管理机关的联系",
        "已按规定履行报告和信息公开义务",
    ],
    "serious_violation": [
        "列入满5年，期间未再受到行政处罚",
        "经复核，原列入决定被撤销",
    ],
}
