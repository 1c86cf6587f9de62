"""Benchmark the search index build on synthetic published organisations.

    .venv/bin/python bench/index_build.py              # 60,000 organisations
    .venv/bin/python bench/index_build.py --orgs 5000 --procs 1

Generates N published organisations (Chinese names, addresses and a business
scope of a few sentences, USCCs issued in sequence per registration office) in
a temporary SQLite portal DB, then, in the same run: reads the rows the way
the build does (the baseline), builds the index with
``portal.search.index.rebuild`` and prints the build time, the ratio to the
baseline, CPU time, peak memory and index size. ``--profile`` writes a
cProfile of the build (with ``--procs 1``; otherwise the analysis runs in
sub-processes the profile does not see).

Where the time goes (2 cores, 60,000 organisations). Whoosh-reloaded is pure
Python: about 15 µs of CPU per posting (a distinct term in a document), about
50 µs per distinct term in the index (a pickled, zlib-compressed block each),
and a fixed cost for every field of every document. The build is CPU-bound;
with two indexing processes the wall time is about (CPU of both + parent) / 2.
Measured, CPU per document:

- jieba over the business scope (+1.1 ms) or character bigrams of it
  (+1.3 ms: 93 distinct bigrams per scope): each alone +35-40 s. Not indexed;
  stored for display and snippets. Address bigrams +0.3 ms: stored only.
- Every substring of the pinyin initials as a term: 33 near-unique terms per
  name, 163,000 terms for 5,000 names, tripled the build. Now letter bigrams
  with positions.
- DATETIME's 8 tiered terms per value: +0.6 ms; even as one term per value,
  indexed score and date cost 0.1 ms. Now sort columns and stored values.
- USCC prefixes up to 18 characters: near-unique terms past 14. Now 4..14.
- A whole-name term per organisation: a distinct term each, ~5 s. Dropped;
  the name is stored and whole-name matches are ranked first from it.
- Positions on jieba and bigram name fields (a pickle per posting): dropped
  where no phrase query needs them.
- limitmb 256: spilled runs are pickled posting by posting, +40% CPU; 512
  does not spill (770 MB peak per indexing process).
- pypinyin once per name: 240 µs; cached per word of the name: ~60 µs, in
  the parent process (``document_for``).
- Reading rows with a keyset on ``is_published`` made SQLite sort every chunk
  again (quadratic); rows are now read in chunks of primary keys. With
  ``is_published`` still in the chunk's WHERE clause, SQLite looked the
  chunk up through an index on ``is_published`` rather than the primary key:
  5 s a chunk on 900,000 rows (the 900,000 build spent over half an hour
  reading), 12 ms without it. Publication is now checked in Python: 60,000
  rows read in 1.0 s.
- Schema 2, for the query service (``portal.search.service``): pinyin as
  syllable pairs and initials as 2- and 3-letter grams, both without
  positions (phrase queries over positions took 0.1-0.9 s a query), former
  names' terms prefixed in the three name fields, and no columns on the four
  facet fields (facets are counted from postings). About as many postings as
  schema 1: 78 CPU-seconds for 60,000 against 74-81 before.

Runs of schema 1: 50.3 s (81 CPU-seconds) and 62.7 s (95 CPU-seconds,
while another session's process held one core at 93%); a run before the
score/date columns, on a quieter machine, 39.3 s. Schema 2: 48.8 s (78
CPU-seconds, load average 2.6 from other sessions' tests). On an idle 2-core
machine expect about (CPU-seconds) / 2, i.e. 40-48 s.
"""

import argparse
import cProfile
import os
import pstats
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.verdict import Goals  # noqa: E402
from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.publication.models import Organisation, PublicationState  # noqa: E402
from portal.reference import DISTRICT_NAMES_ZH, ORG_TYPE_USCC_PREFIX  # noqa: E402

PLACES = (
    "望京 中关村 大栅栏 什刹海 五道口 亚运村 双井 劲松 方庄 回龙观 天通苑 亦庄 燕园 牛街 三里屯 "
    "西二旗 上地 清河 马甸 和平里 安贞 潘家园 卢沟桥 长辛店 永定门 南锣鼓巷 金融街 国贸 通州新城 良乡"
).split()
TOPICS = (
    "青少年发展 老年人服务 文化艺术交流 环境保护 科技创新 社区志愿服务 残疾人康复 足球运动 围棋 书法 "
    "摄影 京剧艺术 中医药发展 心理健康 法律援助 儿童阅读 非物质文化遗产保护 民营经济 物业管理 家政服务 "
    "养老助残 校外教育 职业技能培训 动物保护 乡村振兴 妇女儿童 应急救援 食品安全 知识产权 旅游 "
    "数字经济 人工智能 新能源汽车 花卉园艺 收藏 太极拳 游泳 羽毛球 马拉松 登山户外 集邮 诗词 曲艺"
).split()
SUFFIXES = {
    "social_group": "协会 促进会 研究会 联合会 商会 学会 联谊会".split(),
    "social_service": "服务中心 社会工作事务所 培训学校 研究院 发展中心 康复中心 书院".split(),
    "foundation": "基金会 公益基金会 慈善基金会 教育基金会".split(),
}
STREETS = "建国路 长安街 学院路 中关村大街 朝阳北路 西直门外大街 复兴路 广渠路 京顺路 万泉河路 科创十四街 良乡大街".split()
SCOPE_SENTENCES = (
    "开展{topic}领域的调查研究，为政府有关部门提供决策咨询和政策建议",
    "组织{topic}相关的学术交流、研讨会和专题论坛，推动行业健康发展",
    "举办{topic}专业培训和继续教育，提高从业人员的职业素养和业务能力",
    "编辑出版会刊、简报和内部资料，建设信息服务平台",
    "承接政府购买服务项目和有关部门委托的其他事项",
    "开展国际交流与合作，引进先进经验和优秀项目",
    "组织公益慈善活动，动员社会力量参与社区治理和志愿服务",
    "制定行业自律公约和团体标准，维护会员的合法权益",
    "为会员单位提供法律、财务、人力资源等方面的咨询服务",
    "举办展览展示、评比表彰和宣传推广活动，普及{topic}知识",
    "资助困难群体和基层单位开展{topic}项目，促进社会公平",
    "建立专家库和人才库，开展技术服务与成果转化",
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强海燕晓东红梅丹"
USCC_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


#: The build's goal: 60 s at Beijing scale, in proportion for other sizes.
BUILD_GOAL_SECONDS = 60.0
BUILD_GOAL_ORGS = 60_000
#: ... and never under 10 s: a small build is mostly fixed costs (jieba, the schema, the final merge).
BUILD_GOAL_MINIMUM_SECONDS = 10.0

def synthetic_organisations(count, seed=20260101):
    """Yield ``count`` dicts of published Organisation rows."""
    rng = random.Random(seed)
    districts = list(DISTRICT_NAMES_ZH)
    serials = {}
    for number in range(count):
        org_type = rng.choices(list(SUFFIXES), weights=(5, 6, 1))[0]
        district_code = rng.choice(districts)
        district = DISTRICT_NAMES_ZH[district_code]
        topic = rng.choice(TOPICS)
        prefix = "北京市" if district_code == "110000" else rng.choice(("北京市" + district, district, "北京"))
        place = rng.choice(PLACES) if rng.random() < 0.6 else ""
        name = f"{prefix}{place}{topic}{rng.choice(SUFFIXES[org_type])}"
        former = [f"北京{place}{rng.choice(TOPICS)}{rng.choice(SUFFIXES[org_type])}"] if rng.random() < 0.15 else []
        # Organisation codes are issued in sequence per registration office:
        # new ones "MJ" + 7 digits, older ones "5" + 8 digits.
        serial_number = serials[org_type, district_code] = serials.get((org_type, district_code), 0) + 1
        code = f"MJ{serial_number:07d}" if rng.random() < 0.7 else f"5{rng.randint(0, 99):02d}{serial_number:06d}"
        uscc = f"{ORG_TYPE_USCC_PREFIX[org_type]}{district_code}{code}{rng.choice(USCC_CHARACTERS)}"
        sentences = rng.sample(SCOPE_SENTENCES, rng.randint(3, 6))
        score = Decimal(rng.randint(7000, 10000)) / 100
        yield {
            "uscc": uscc[:18],
            "name": name,
            "name_pinyin": "",
            "former_names": former,
            "org_type": org_type,
            "registration_authority": f"北京市{district}民政局" if district_code != "110000" else "北京市民政局",
            "district_code": district_code,
            "legal_representative": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
            "registered_on": date(1990, 1, 1) + timedelta(days=rng.randint(0, 12000)),
            "address": f"北京市{district}{rng.choice(STREETS)}{rng.randint(1, 300)}号院{rng.randint(1, 20)}号楼{rng.randint(101, 2399)}室",
            "business_scope": "；".join(sentence.format(topic=topic) for sentence in sentences) + "。",
            "supervising_unit": None,
            "evaluation_level": rng.choice((None, None, 3, 4, 5)),
            "registration_status": "normal",
            "score": score,
            "grade": "A" if score >= 90 else "B",
            "dimension_scores": {"governance": 20},
            "assessed_at": datetime(2026, 1, 1),
            "is_published": True,
            "published_since": datetime(2026, 1, 1),
            "changed_in_version": 1,
            "in_source": True,
        }


def fill_database(count):
    batch = []
    seen = set()
    for row in synthetic_organisations(count):
        if row["uscc"] in seen:
            continue
        seen.add(row["uscc"])
        batch.append(row)
        if len(batch) == 5000:
            db.session.execute(Organisation.__table__.insert(), batch)
            batch = []
    if batch:
        db.session.execute(Organisation.__table__.insert(), batch)
    db.session.add(PublicationState(id=1, version=1, published_count=len(seen)))
    db.session.commit()
    return len(seen)


def peak_memory_mb(who):
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=60000, help="organisations to generate (default 60000)")
    parser.add_argument("--procs", type=int, default=None, help="indexing processes (default: as rebuild decides)")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the build to FILE and print the top")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="index-bench-")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/portal.db",
            "INDEX_DIR": f"{folder}/index",
            "JIEBA_CACHE_DIR": f"{folder}/jieba",
        }
    )
    from portal.search import index as search_index
    from portal.search.analysis import initialize_jieba

    goals = Goals()
    try:
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            count = fill_database(args.orgs)
            print(f"generated {count} organisations in {time.perf_counter() - started:.1f} s")
            db.session.remove()

            initialize_jieba(app.config["JIEBA_CACHE_DIR"])  # counted by neither measurement

            started = time.perf_counter()
            usccs = search_index.published_usccs(db.session)
            read = sum(1 for _ in search_index.iter_organisation_rows(db.session, usccs))
            read_seconds = time.perf_counter() - started
            db.session.remove()
            memory_before = peak_memory_mb(resource.RUSAGE_SELF)

            cpu_before = os.times()
            profiler = cProfile.Profile() if args.profile else None
            if profiler:
                profiler.enable()
            summary = search_index.rebuild(app.config["INDEX_DIR"], db.session, procs=args.procs)
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)

            cpu_after = os.times()
            status = search_index.index_status(app.config["INDEX_DIR"])
        build = summary["seconds"]
        print(f"load average:          {' '.join(f'{load:.2f}' for load in os.getloadavg())} (other processes slow the build)")
        print(f"read rows (baseline):  {read} rows in {read_seconds:.2f} s")
        print(f"build index:           {summary['documents']} documents in {build:.1f} s (procs={summary['procs']})")
        cpu_self = cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system
        cpu_children = (
            cpu_after.children_user + cpu_after.children_system - cpu_before.children_user - cpu_before.children_system
        )
        print(f"build CPU time:        {cpu_self:.1f} s in this process, {cpu_children:.1f} s in sub-processes")
        print(f"ratio build / read:    {build / read_seconds:.1f}x")
        print(f"documents per second:  {summary['documents'] / build:.0f}")
        print(
            f"peak memory (RSS):     {peak_memory_mb(resource.RUSAGE_SELF):.0f} MB in this process "
            f"({memory_before:.0f} MB before the build), {peak_memory_mb(resource.RUSAGE_CHILDREN):.0f} MB "
            "in the largest indexing sub-process"
        )
        print(f"index size:            {summary['size_bytes'] / 1024 / 1024:.1f} MB in {status['segments']} segments")
        # The goal is 60 s at Beijing scale (60,000), scaled in proportion to the organisations built.
        goal = max(BUILD_GOAL_MINIMUM_SECONDS, BUILD_GOAL_SECONDS * args.orgs / BUILD_GOAL_ORGS)
        goals.check(build <= goal, f"index build of {summary['documents']} documents: {build:.1f} s "
                                   f"(goal ≤ {goal:.0f} s: {BUILD_GOAL_SECONDS:.0f} s per {BUILD_GOAL_ORGS:,}, at least {BUILD_GOAL_MINIMUM_SECONDS:.0f} s)")
        goals.check(summary["documents"] == read, f"documents indexed {summary['documents']} = rows read {read}")
        if profiler:
            pstats.Stats(args.profile).sort_stats("cumulative").print_stats(25)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    goals.finish()


if __name__ == "__main__":
    main()
