"""Word lists for invented organisation names, people, addresses and texts.

Everything here is composed at random from common naming patterns of Beijing
social organisations; no name, person or address is taken from a register.
Name builders take a ``random.Random`` so a seed reproduces the same names.
"""

from bisect import bisect
from itertools import accumulate

from portal.reference import DISTRICT_NAMES_ZH

MUNICIPAL = "110000"
DISTRICT_CODES = [code for code in DISTRICT_NAMES_ZH if code != MUNICIPAL]

#: Names every demo database starts with, so demos and search examples can
#: rely on them: (name, topic, type, registrar).
ANCHOR_ORGANISATIONS = [
    ("北京市青少年发展基金会", "青少年", "foundation", MUNICIPAL),
    ("北京市朝阳区蓝天养老服务中心", "养老", "social_service", "110105"),
    ("北京市海淀区阳光助残服务中心", "助残", "social_service", "110108"),
    ("北京市青少年足球协会", "足球", "social_group", MUNICIPAL),
    ("北京市环保志愿者协会", "环保", "social_group", MUNICIPAL),
    ("北京市东城区心理咨询协会", "心理咨询", "social_group", "110101"),
]

# -- 社会团体 -------------------------------------------------------------

#: Who a social group gathers (optional qualifier before the topic).
GROUP_QUALIFIERS = """
    青少年 老年 妇女 残疾人 社区 农村 校园 职工 少儿 大学生 退役军人 企业 女性 新市民 家庭 青年
    中老年 儿童 老干部 教师 医务工作者 科技工作者 企业家 离退休人员 中小学 高校 机关 民营企业
    个体劳动者 外来务工人员
""".split()

#: Topics by suffix.
GROUP_TOPICS = {
    "协会": """
        书法 足球 篮球 排球 围棋 象棋 摄影 合唱 舞蹈 太极拳 登山 游泳 乒乓球 羽毛球 网球 钓鱼 集邮
        收藏 花卉 园艺 美术 诗词 京剧 曲艺 剪纸 风筝 环保 志愿者 心理咨询 养老服务 助残 家政服务
        物业管理 餐饮 旅游 文化创意 软件 互联网 护理 药学 法律援助 会计 慈善 社会工作 科普 营养
        健身 体育舞蹈 马拉松 自行车 冰雪运动 无线电 航模 茶文化 民俗 读书 朗诵 器乐 轮滑 武术
        跆拳道 徒步 垃圾分类 节能 绿化 动物保护 家庭教育 婚姻家庭 托育服务 康复 门球 桥牌 健身气功
        广场舞 柔力球 毽球 跳绳 空竹 民族乐器 古琴 二胡 话剧 相声 皮影 楹联 灯谜 根雕 陶艺 插花
        盆景 观鸟 户外运动 露营 攀岩 滑雪 冰球 击剑 射箭 龙舟 帆船 电子竞技 机器人 编程 无人机
        科技创新 知识产权 标准化 质量管理 安全生产 应急救援 婚庆服务 保安服务 装饰装修 老年教育
        职业教育 学前教育 民办教育 社区服务 文物保护 老字号 手工艺 刺绣 烹饪 盲人 聋人 肢残人
        智力残疾人及亲友 精神残疾人及亲友 社会工作者 养老机构 托育机构 营养师 心理卫生
    """.split(),
    "学会": """
        心理学 营养学 教育学 中医药 老年学 社会学 档案 地理 天文 植物 动物 图书馆 博物馆 城市规划
        环境科学 数学 物理 化学 生物 计算机 统计 历史 语言 翻译 康复医学 护理 预防医学 社会工作
        家庭教育 体育科学 气象 地质 林学 水利 园林
    """.split(),
    "研究会": """
        传统文化 社区治理 家庭教育 老龄问题 青少年问题 慈善文化 城市文化 民俗文化 国学 书画 诗词
        地方史 志愿服务 社会保障 公益事业 法律援助 婚姻家庭 儿童发展 乡村振兴 生态文明 健康管理
        养生文化 非遗保护 阅读推广 社会心理 劳动关系
    """.split(),
    "促进会": """
        文化交流 科技成果转化 健康 青少年发展 养老服务 助残事业 环保产业 全民健身 阅读 创新创业
        社区发展 志愿服务 非遗保护 心理健康 公益 家庭教育 生态环境 乡村发展 书香社会 冰雪运动
    """.split(),
    "联合会": """
        社会组织 志愿者 养老服务 青少年体育 文艺 社区服务 体育 家庭服务 残疾人体育 社区文化
        老年体育 棋牌运动 民间文艺
    """.split(),
}
#: Topics that name whom a group gathers already: no qualifier goes before them.
UNQUALIFIED_TOPICS = frozenset(
    "盲人 聋人 肢残人 智力残疾人及亲友 精神残疾人及亲友 社会工作者 养老机构 托育机构 营养师".split()
)
GROUP_SUFFIX_WEIGHTS = {"协会": 54, "学会": 8, "研究会": 14, "促进会": 10, "联合会": 7, "商会": 7}

#: Chambers of commerce: home provinces and cities, or trades.
CHAMBER_ORIGINS = """
    浙江 福建 温州 湖南 四川 河南 山东 江苏 广东 湖北 江西 安徽 河北 山西 陕西 云南 贵州 黑龙江
    吉林 辽宁 内蒙古 甘肃 广西 重庆 宁波 泉州 潮汕 台州 义乌 晋江
""".split()
CHAMBER_TRADES = """
    餐饮行业 建材行业 汽车行业 家居行业 电子商务 茶叶行业 服装行业 物流行业 文化旅游 食品行业
    五金机电 酒店行业 美容美发 家电行业
""".split()

# -- 社会服务机构 -----------------------------------------------------------

#: Two- and three-character brand words of service organisations and foundations.
BRANDS = """
    蓝天 阳光 启明 春晖 康乐 爱心 同心 和谐 晨曦 彩虹 馨怡 乐龄 福寿 仁和 德馨 博爱 善德 明德 育才
    春苗 新苗 光明 希望 温馨 安康 康宁 怡和 长青 常青 松鹤 夕阳红 绿洲 绿叶 晴空 星光 星辰 繁星
    彩云 祥云 清泉 山泉 春雨 润物 春风 和煦 惠民 利民 众爱 众心 同行 携手 恒爱 厚德 致远 弘毅 思源
    知行 志远 远航 启航 扬帆 新起点 萌芽 童心 小树苗 七彩 五彩 百合 雏菊 向日葵 丁香 紫荆 银杏
    翠柏 青松 梧桐 海棠 玉兰 金秋 暖阳 朝霞 晓月 明月 北辰 京华 燕京 燕山 安宁 平安 福康 乐享 乐活
    悦享 益友 良友 守望 陪伴 相伴 手拉手 心连心 善行 仁爱 友善 恒心 晨光 曙光 朝阳花 春华 秋实
    瑞祥 嘉禾 禾苗 蒲公英 萤火虫 满天星 四季 和美 美好 幸福 福乐
""".split()

#: Service-organisation suffixes and their relative frequency.
SERVICE_KIND_WEIGHTS = {
    "服务中心": 40,
    "社会工作事务所": 16,
    "养老院": 4,
    "敬老院": 2,
    "养老照料中心": 2,
    "老年公寓": 1,
    "培训学校": 16,
    "康复中心": 8,
    "幼儿园": 12,
    "托育中心": 2,
}
#: The topic of a service organisation whose name has no field word, by kind.
SERVICE_TOPICS = {
    "社会工作事务所": "社会工作",
    "养老院": "养老",
    "敬老院": "养老",
    "养老照料中心": "养老",
    "老年公寓": "养老",
    "幼儿园": "学前教育",
    "托育中心": "托育",
}
#: Kinds often named after their place alone (北京市通州区宋庄敬老院), without a brand word.
PLACE_NAMED_KINDS = ("敬老院", "养老照料中心")
#: The fields that fit before each suffix ("" means the brand stands alone).
SERVICE_FIELDS = {
    "服务中心": """
        养老 助残 社区 青少年 心理咨询 法律援助 志愿者 家庭 儿童 妇女儿童 居家养老 社区康复 就业
        公益 社会工作 老年人 残疾人托养 婚姻家庭 邻里互助 文化 助老 托育 公益事业 健康
    """.split(),
    "社会工作事务所": [""] + "社区 青少年 家庭 老年 儿童".split(),
    "养老院": [""],
    "敬老院": [""],
    "养老照料中心": [""],
    "老年公寓": [""],
    "托育中心": [""],
    "培训学校": """
        书法 美术 音乐 舞蹈 足球 篮球 围棋 英语 职业技能 计算机 外语 科技 武术 游泳 乒乓球
        文化艺术 钢琴 播音主持
    """.split(),
    "康复中心": "儿童 残疾人 社区 老年 听力语言 孤独症儿童".split(),
    "幼儿园": [""] + "双语 艺术 实验".split(),
}

#: Sub-district and township names per district, used in some names.
LOCALITIES = {
    "110101": """
        东华门 景山 交道口 安定门 北新桥 东四 朝阳门 建国门 东直门 和平里 前门 天坛 龙潭
    """.split(),
    "110102": """
        西长安街 新街口 月坛 展览路 德胜 金融街 什刹海 大栅栏 天桥 椿树 陶然亭 广安门内 牛街
        白纸坊
    """.split(),
    "110105": """
        建外 朝外 呼家楼 三里屯 左家庄 香河园 和平街 安贞 亚运村 小关 酒仙桥 麦子店 团结湖 六里屯
        望京 大屯 双井 劲松 潘家园 常营
    """.split(),
    "110106": """
        右安门 太平桥 西罗园 大红门 南苑 东高地 东铁匠营 卢沟桥 丰台 新村 长辛店 云岗 方庄 宛平
        马家堡 花乡
    """.split(),
    "110107": "八宝山 老山 八角 古城 苹果园 金顶街 广宁 五里坨 鲁谷".split(),
    "110108": """
        万寿路 永定路 羊坊店 甘家口 八里庄 紫竹院 北下关 北太平庄 学院路 中关村 海淀 青龙桥 清华园
        燕园 香山 清河 花园路 西三旗 马连洼 田村路 上地 万柳 东升 曙光
    """.split(),
    "110109": """
        大峪 城子 东辛房 大台 王平 永定 龙泉 潭柘寺 军庄 妙峰山 雁翅 斋堂 清水
    """.split(),
    "110111": """
        城关 新镇 向阳 东风 迎风 星城 良乡 周口店 琉璃河 拱辰 西潞 窦店 石楼 长阳 阎村 青龙湖 长沟
        大石窝
    """.split(),
    "110112": """
        中仓 新华 北苑 玉桥 永顺 梨园 宋庄 张家湾 漷县 马驹桥 西集 台湖 永乐店 潞城 于家务
    """.split(),
    "110113": """
        胜利 光明 仁和 后沙峪 天竺 杨镇 牛栏山 南法信 马坡 石园 空港 双丰 旺泉 高丽营 李桥 赵全营
    """.split(),
    "110114": """
        城北 城南 天通苑北 天通苑南 霍营 回龙观 龙泽园 史各庄 阳坊 小汤山 南邵 崔村 百善 北七家
        兴寿 流村 南口 马池口 沙河
    """.split(),
    "110115": """
        兴丰 林校路 清源 观音寺 天宫院 高米店 亦庄 黄村 旧宫 西红门 青云店 采育 安定 礼贤 榆垡
        庞各庄 北臧村 魏善庄 长子营
    """.split(),
    "110116": """
        泉河 龙山 怀柔 雁栖 杨宋 庙城 北房 桥梓 怀北 汤河口 渤海 九渡河 琉璃庙 宝山
    """.split(),
    "110117": """
        滨河 兴谷 渔阳 平谷 峪口 马坊 金海湖 东高村 山东庄 南独乐河 大华山 夏各庄 马昌营 王辛庄
        大兴庄 刘家店
    """.split(),
    "110118": """
        鼓楼 果园 檀营 密云 溪翁庄 西田各庄 十里堡 河南寨 巨各庄 穆家峪 太师屯 高岭 不老屯 冯家峪
        古北口 大城子
    """.split(),
    "110119": """
        百泉 香水园 儒林 延庆 康庄 八达岭 永宁 旧县 张山营 四海 千家店 沈家营 大榆树 井庄
    """.split(),
}

# -- 基金会 -----------------------------------------------------------------

FOUNDATION_TOPICS = """
    青少年 儿童 老年 助残 环保 教育 文化 科技 体育 医疗 乡村 妇女 艺术 科普 心理健康 生态 书法
    阅读 社区 志愿服务 残疾人 孤儿 大学生 健康 非遗 动物保护
""".split()
FOUNDATION_KINDS = "发展 公益 慈善 教育 助学 救助 关爱 促进 文化 保护 扶助 奖励".split()

# -- People, places, texts ----------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
#: Two-character surnames, rare (about one person in a hundred).
COMPOUND_SURNAMES = "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐".split()
#: Common two-character given names of the generations who lead organisations.
GIVEN_NAMES = """
    建国 建华 建军 建平 国强 国庆 国华 志强 志刚 志明 志勇 志红 秀英 秀兰 秀珍 桂英 桂兰 玉兰 玉梅
    淑华 淑珍 丽华 丽娟 丽萍 红梅 红霞 海燕 海涛 海波 晓东 晓明 晓燕 晓红 小红 小明 春生 春梅 文华
    文斌 文静 德明 德华 永强 永刚 宏伟 伟东 卫东 卫国 振华 振国 金龙 金凤 凤英 翠兰 爱华 爱民 立新
    立军 新民 学军 学文 京生 燕京 京华 静怡 雅琴 雅静 慧敏 佳怡 思远 子涵 梓萱 宇轩 浩然 一鸣 若曦
    欣怡 雨婷 嘉琪 俊杰 明轩 博文 晨阳 天宇 子墨 诗涵 芳芳 婷婷 丹丹 磊磊 亚楠 亚男 胜利 跃进 援朝
""".split()
GIVEN_NAME_CHARACTERS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞鹏辉建国文斌宇浩凯晨欣怡婷"
    "雪梅琳颖佳慧俊峰亮波鑫海燕红林志新春晓东立宏德永成林然博思远航子涵梓萱雨轩嘉琪一"
    "诺若曦子墨宇辰浩然欣妍"
)

#: Main roads per district, for addresses.
STREETS = {
    "110101": """
        东直门内大街 朝阳门北大街 东四十条 王府井大街 和平里东街 安定门外大街 崇文门外大街
        广渠门内大街
    """.split(),
    "110102": """
        西直门南大街 复兴门内大街 德胜门外大街 广安门内大街 金融大街 西单北大街 阜成门外大街
        白纸坊东街
    """.split(),
    "110105": """
        建国路 朝阳北路 东三环中路 望京街 安立路 光华路 酒仙桥路 朝阳路 广渠路 北苑路
    """.split(),
    "110106": """
        丰台北路 南四环西路 马家堡东路 卢沟桥路 方庄路 丰管路 科学城路 榴乡路
    """.split(),
    "110107": "石景山路 鲁谷路 八角西街 古城大街 阜石路 杨庄东街".split(),
    "110108": """
        中关村大街 学院路 北四环西路 海淀路 万寿路 西三环北路 上地信息路 清河中街 苏州街
    """.split(),
    "110109": "新桥大街 滨河路 双峪路 石龙南路 黑山大街".split(),
    "110111": "拱辰大街 长阳路 燕房路 苏庄大街 窦店路".split(),
    "110112": "新华大街 运河东大街 玉带河东街 梨园北街 通胡大街 九棵树东路".split(),
    "110113": "府前街 站前街 顺康路 新顺南大街 裕曦路 后沙峪路".split(),
    "110114": "府学路 回龙观西大街 天通苑北街 鼓楼南街 政府街 沙河路".split(),
    "110115": "兴华大街 黄村西大街 荣华中路 兴丰大街 金星路 西红门路".split(),
    "110116": "府前街 青春路 迎宾路 开放路 雁栖大街".split(),
    "110117": "府前街 平谷大街 新平北路 林荫北街 文化北街".split(),
    "110118": "鼓楼东大街 新中街 宾阳北街 滨河路 沿湖路".split(),
    "110119": "妫水北街 东外大街 高塔街 湖南东路 庆园街".split(),
}

#: Localities of ``LOCALITIES`` that are towns (镇, 乡); the others are sub-districts (街道).
TOWNS = frozenset(
    """
    东升 王平 永定 龙泉 潭柘寺 军庄 妙峰山 雁翅 斋堂 清水 良乡 周口店 琉璃河 窦店 石楼 长阳 阎村
    青龙湖 长沟 大石窝 宋庄 张家湾 漷县 马驹桥 西集 台湖 永乐店 潞城 于家务 仁和 后沙峪 天竺 杨镇
    牛栏山 南法信 马坡 高丽营 李桥 赵全营 阳坊 小汤山 南邵 崔村 百善 北七家 兴寿 流村 南口 马池口
    沙河 青云店 采育 安定 礼贤 榆垡 庞各庄 北臧村 魏善庄 长子营 怀柔 雁栖 杨宋 庙城 北房 桥梓 怀北
    汤河口 渤海 九渡河 琉璃庙 宝山 平谷 峪口 马坊 金海湖 东高村 山东庄 南独乐河 大华山 夏各庄 马昌营
    王辛庄 大兴庄 刘家店 密云 溪翁庄 西田各庄 十里堡 河南寨 巨各庄 穆家峪 太师屯 高岭 不老屯 冯家峪
    古北口 大城子 延庆 康庄 八达岭 永宁 旧县 张山营 四海 千家店 沈家营 大榆树 井庄
""".split()
)
#: How a residents' community (社区) is named after its locality: 劲松北社区, 双井东里社区.
COMMUNITY_ENDINGS = "东 西 南 北 中 东里 西里 南里 北里 一区 二区 三区 新村 家园 花园 小区".split()
#: How a village (村) is named: 王各庄村, 李家营村.
VILLAGE_ENDINGS = "家庄 各庄 家营 庄 屯 店 辛庄 家务 家坟 营".split()

#: 业务主管单位 by kind of work; {place} is 北京市 or 北京市X区.
SUPERVISING_UNITS = {
    "education": "{place}教育委员会",
    "sport": "{place}体育局",
    "culture": "{place}文化和旅游局",
    "health": "{place}卫生健康委员会",
    "civil": "{place}民政局",
    "disability": "{place}残疾人联合会",
    "science": "{place}科学技术协会",
    "youth": "共青团{place}委员会",
    "women": "{place}妇女联合会",
    "environment": "{place}生态环境局",
    "justice": "{place}司法局",
    "commerce": "{place}工商业联合会",
    "arts": "{place}文学艺术界联合会",
    "social_science": "{place}社会科学界联合会",
    "unions": "{place}总工会",
}

#: Which supervising unit fits a word in a name (first match wins; default civil).
FIELD_OF_WORD = [
    ("盲人 聋人 肢残人 智力残疾人 精神残疾人".split(), "disability"),
    ("职工".split(), "unions"),
    ("学校 幼儿园 托育 教育 助学 学会 阅读 书香 大学生".split(), "education"),
    (
        """
        社会学 社会保障 劳动关系 社区治理 老龄问题 青少年问题 社会心理 国学 地方史 城市文化
        慈善文化
    """.split(),
        "social_science",
    ),
    (
        """
        足球 篮球 排球 乒乓球 羽毛球 网球 游泳 登山 健身 体育 马拉松 自行车 冰雪 太极拳 武术
        跆拳道 轮滑 徒步 围棋 象棋 棋牌 航模
    """.split(),
        "sport",
    ),
    (
        """
        书法 摄影 合唱 舞蹈 美术 诗词 京剧 曲艺 剪纸 朗诵 器乐 书画 话剧 相声 楹联 民间文艺 文艺
        古琴 二胡 民族乐器
    """.split(),
        "arts",
    ),
    ("文化 民俗 非遗 艺术 收藏 集邮 风筝 旅游 老字号 手工艺 刺绣".split(), "culture"),
    ("康复 护理 药学 中医药 医疗 健康 营养 预防医学 心理".split(), "health"),
    ("助残 残疾人 孤独症 听力语言".split(), "disability"),
    (
        """
        科普 科技 软件 互联网 计算机 无线电 天文 数学 物理 化学 生物 地理 气象 地质
    """.split(),
        "science",
    ),
    ("青少年 少儿 儿童".split(), "youth"),
    ("妇女 女性 婚姻家庭 家庭".split(), "women"),
    ("环保 生态 绿化 节能 垃圾分类 动物保护".split(), "environment"),
    ("法律援助".split(), "justice"),
    ("商会 行业".split(), "commerce"),
]

#: Business-scope sentences; {topic} is the organisation's field.
SCOPE_SENTENCES = {
    "social_group": [
        "开展{topic}领域的学术交流与研讨活动",
        "组织会员开展{topic}相关的业务培训",
        "举办{topic}展览、比赛和公益活动",
        "开展{topic}方面的调查研究，向有关部门提出意见建议",
        "为会员提供信息交流和咨询服务",
        "编印会刊和{topic}资料",
        "承办政府有关部门委托的事项",
        "开展国内外{topic}交流与合作",
        "维护会员合法权益，加强行业自律",
    ],
    "social_service": [
        "为社区居民提供{topic}服务",
        "开展{topic}相关的专业培训",
        "组织志愿者开展{topic}公益活动",
        "提供{topic}咨询与个案服务",
        "承接政府购买的{topic}服务项目",
        "开展{topic}宣传教育活动",
        "举办{topic}主题讲座和小组活动",
        "为困难群体提供帮扶与转介服务",
    ],
    "foundation": [
        "资助{topic}项目",
        "开展{topic}领域的救助与帮扶",
        "奖励在{topic}事业中作出突出贡献的个人和团体",
        "接受社会各界捐赠，依法管理和使用基金",
        "开展{topic}宣传与交流活动",
        "资助{topic}研究与人才培养",
    ],
}

#: What a home for the elderly does (养老院, 敬老院, 养老照料中心, 老年公寓).
ELDERLY_CARE_SCOPE = [
    "为老年人提供生活照料、康复护理和精神慰藉服务",
    "为失能、半失能老年人提供长期照护",
    "开展日间照料和短期托养服务",
    "为周边社区老年人提供助餐、助浴、助洁服务",
    "开展老年人文化娱乐和健康讲座活动",
    "开展养老护理员培训",
]
#: What organisations of a kind (their name's suffix) do, first in their 业务范围.
SCOPE_OF_KIND = {
    "养老院": ELDERLY_CARE_SCOPE,
    "敬老院": ELDERLY_CARE_SCOPE,
    "养老照料中心": ELDERLY_CARE_SCOPE,
    "老年公寓": ELDERLY_CARE_SCOPE,
    "幼儿园": [
        "实施学前教育，促进幼儿身心和谐发展",
        "开展幼儿保育和教育",
        "组织幼儿开展游戏、体育和艺术活动",
        "开展家园共育和家长学校活动",
        "为社区散居儿童家庭提供科学育儿指导",
    ],
    "托育中心": [
        "为三岁以下婴幼儿提供全日托、半日托和计时托服务",
        "开展婴幼儿照护和早期发展指导",
        "为家庭提供科学育儿咨询",
        "开展托育从业人员培训",
    ],
    "培训学校": [
        "开展{topic}（非学历教育）",
        "组织学员参加考级、展演和比赛",
        "举办{topic}公益讲座和交流活动",
        "开展{topic}师资培训",
    ],
    "康复中心": [
        "开展{topic}训练和康复评估",
        "为家长提供康复知识培训和家庭康复指导",
        "提供辅助器具适配咨询",
        "开展早期筛查和康复知识宣传",
    ],
    "社会工作事务所": [
        "运用社会工作专业方法开展个案、小组和社区工作",
        "开展社会工作督导和专业培训",
        "为困境儿童、留守老人等困难群体提供帮扶与转介服务",
        "协助开展社区治理和社区社会组织培育",
    ],
    "商会": [
        "为会员企业提供政策咨询和市场信息",
        "组织会员企业开展商务考察和经贸交流",
        "调解会员企业之间的经营纠纷",
        "维护会员企业合法权益",
    ],
}

#: What a service centre does, by a word of its field (first match wins).
SCOPE_OF_FIELD = [
    (
        "托养".split(),
        ["为智力、精神残疾人提供日间托养和生活技能训练", "开展职业康复和社会融入训练"],
    ),
    (
        "养老 助老 老年".split(),
        [
            "为老年人提供助餐、助浴、助洁和助医服务",
            "开展老年人日间照料和居家上门服务",
            "组织老年人文化娱乐和健康讲座",
        ],
    ),
    ("心理".split(), ["开展心理健康讲座和团体心理辅导", "提供个体心理咨询和心理危机干预服务"]),
    ("法律".split(), ["为困难群众提供法律咨询和代写法律文书", "协助开展人民调解和矛盾纠纷化解"]),
    (
        "助残 残疾人".split(),
        [
            "为残疾人提供职业康复和就业指导",
            "协助残疾人申请辅助器具和无障碍改造",
            "开展助残志愿服务",
        ],
    ),
    ("托育".split(), ["开展婴幼儿照护和科学育儿指导"]),
    ("就业".split(), ["开展职业介绍、就业指导和创业培训"]),
    ("婚姻 家庭".split(), ["开展婚姻家庭辅导和家庭教育指导", "提供家庭矛盾调解服务"]),
    ("儿童".split(), ["为困境儿童和留守儿童提供关爱保护服务", "开展儿童安全和自护教育"]),
    ("青少年".split(), ["开展青少年课外实践和成长辅导活动", "开展青少年禁毒和法治宣传教育"]),
    ("邻里 社区".split(), ["组织社区居民议事协商和邻里互助活动", "培育社区社会组织"]),
    ("志愿".split(), ["招募、培训和管理志愿者"]),
    ("健康 康复".split(), ["开展慢性病健康管理和膳食营养指导"]),
]


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
