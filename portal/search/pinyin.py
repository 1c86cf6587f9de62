"""Pinyin as people type it: letters split into syllables, and the nearest spelling of a typo."""

import functools
import re
from itertools import product

#: Letters longer than this are not split into syllables (the number of
#: splits grows quickly, and no name's pinyin is this long).
PINYIN_MAXIMUM_LETTERS = 60
#: At most this many ways of splitting letters into syllables are searched.
PINYIN_MAXIMUM_SPLITS = 4

#: Every toneless pinyin syllable with a vowel (from pypinyin's dictionary,
#: ü written v as ``name_readings`` writes it). Kept here rather than derived
#: at start-up: deriving it takes 0.4 s.
PINYIN_SYLLABLES = frozenset(
    """
a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie bin bing bo bong bu ca
cai can cang cao ce cei cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua
chuai chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den
deng di dia dian diao die din ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei
fen feng fiao fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun
guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian
jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku
kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei len leng li lia lian liang liao lie lin
ling liu lo long lou lu luan lun luo lv lve ma mai man mang mao me mei men meng mi mian miao mie
min ming miu mo mou mu na nai nan nang nao ne nei nen neng ni nia nian niang niao nie nin ning niu
nong nou nu nuan nun nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po
pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri
rong rou ru rua ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she shei
shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta
tai tan tang tao te tei teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei
wen weng wo wong wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao
ye yi yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang
zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu
zuan zui zun zuo
""".split()
)
_LONGEST_SYLLABLE = max(map(len, PINYIN_SYLLABLES))


@functools.lru_cache(maxsize=4096)
def pinyin_splits(letters, limit=PINYIN_MAXIMUM_SPLITS):
    """Return up to ``limit`` ways of reading letters as pinyin syllables, fewest syllables first.

    Spaces and apostrophes separate syllables for certain ("xi'an"); within a
    run of letters every split into known syllables is considered ("xian" is
    xian or xi an). Returns () if the letters are not pinyin.
    """
    parts = [part for part in re.split(r"[ ']+", letters) if part]
    if not parts or sum(map(len, parts)) > PINYIN_MAXIMUM_LETTERS:
        return ()
    per_part = []
    for part in parts:
        splits = _splits_of_run(part, limit)
        if not splits:
            return ()
        per_part.append(splits)
    combined = sorted((sum(split, ()) for split in product(*per_part)), key=len)
    return tuple(combined[:limit])


def _splits_of_run(run, limit):
    """Return up to ``limit`` splits of one run of letters into syllables, fewest syllables first."""
    # fewest[i]: the fewest syllables that spell run[i:] (None if impossible).
    length = len(run)
    fewest = [None] * (length + 1)
    fewest[length] = 0
    for start in range(length - 1, -1, -1):
        best = None
        for end in range(start + 1, min(length, start + _LONGEST_SYLLABLE) + 1):
            if run[start:end] in PINYIN_SYLLABLES and fewest[end] is not None:
                best = fewest[end] + 1 if best is None else min(best, fewest[end] + 1)
        fewest[start] = best
    if fewest[0] is None:
        return []
    # Enumerate splits with at most one syllable more than the fewest.
    budget = fewest[0] + 1
    found = []

    def walk(start, taken):
        if len(found) >= limit * 4:
            return
        if start == length:
            found.append(tuple(taken))
            return
        for end in range(min(length, start + _LONGEST_SYLLABLE), start, -1):
            if run[start:end] in PINYIN_SYLLABLES and fewest[end] is not None:
                if len(taken) + 1 + fewest[end] <= budget:
                    taken.append(run[start:end])
                    walk(end, taken)
                    taken.pop()

    walk(0, [])
    found.sort(key=len)
    return found[:limit]


@functools.lru_cache(maxsize=1)
def _syllables_by_deletion():
    """Return {a syllable, or it with one letter deleted: the syllables it may be a typo of}."""
    index = {}
    for syllable in PINYIN_SYLLABLES:
        index.setdefault(syllable, set()).add(syllable)
        for i in range(len(syllable)):
            index.setdefault(syllable[:i] + syllable[i + 1 :], set()).add(syllable)
    return index


def _near_syllables(piece):
    """Return the syllables within one edit (insert, delete, replace or swap) of ``piece``, nearest first."""
    index = _syllables_by_deletion()
    if piece in PINYIN_SYLLABLES:
        return [(0, piece)]
    near = set(index.get(piece, ()))  # piece is a syllable with a letter missing
    for i in range(len(piece)):
        shorter = piece[:i] + piece[i + 1 :]
        if shorter in PINYIN_SYLLABLES:
            near.add(shorter)  # one letter too many
        near.update(index.get(shorter, ()))  # a letter replaced (or two letters swapped)
    return [(1, syllable) for syllable in sorted(near)]


@functools.lru_cache(maxsize=4096)
def syllables_near(syllable):
    """Return the other syllables within one edit of a syllable (la: lao, lai, lan, ...), for one-syllable typos."""
    index = _syllables_by_deletion()
    near = set(index.get(syllable, ()))  # a letter missing
    for i in range(len(syllable)):
        shorter = syllable[:i] + syllable[i + 1 :]
        if shorter in PINYIN_SYLLABLES:
            near.add(shorter)  # a letter too many
        near.update(index.get(shorter, ()))  # a letter replaced, or two swapped
    near.discard(syllable)
    return tuple(sorted(near))


@functools.lru_cache(maxsize=1024)
def pinyin_corrections(letters, limit=12):
    """Return up to ``limit`` respellings of letters as the nearest pinyin, nearest first.

    At most one edit per syllable: "beijng qingshaonain" -> "beijing
    qingshaonian", ... Used for "did you mean" (the caller keeps the first
    that finds something). Letters that already are pinyin give ().
    """
    parts = [part for part in re.split(r"[ ']+", letters.lower()) if part]
    if not parts or sum(map(len, parts)) > PINYIN_MAXIMUM_LETTERS or not all(part.isalpha() for part in parts):
        return ()
    per_part = []
    for part in parts:
        length = len(part)
        # best[i]: the cheapest respellings of part[i:], as (edits, syllables, spelling).
        best = [None] * (length + 1)
        best[length] = [(0, 0, "")]
        for start in range(length - 1, -1, -1):
            options = []
            for end in range(start + 1, min(length, start + _LONGEST_SYLLABLE + 1) + 1):
                if not best[end]:
                    continue
                for edits, syllable in _near_syllables(part[start:end]):
                    options.extend(
                        (edits + rest_edits, 1 + rest_syllables, syllable + rest)
                        for rest_edits, rest_syllables, rest in best[end]
                    )
            best[start] = sorted(set(options))[: limit * 2]
        if not best[0]:
            return ()
        per_part.append(best[0][:limit])
    if len(per_part) > 4:
        return ()
    # Fewest edits, then fewest syllables (yaun is yuan before ya an), then spelling.
    spelled = sorted(
        (
            sum(option[0] for option in combination),
            sum(option[1] for option in combination),
            " ".join(option[2] for option in combination),
        )
        for combination in product(*per_part)
    )
    original = " ".join(parts)
    return tuple(dict.fromkeys(text for edits, _, text in spelled if edits and text != original))[:limit]
