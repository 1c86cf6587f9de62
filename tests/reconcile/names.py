"""The 200-name list of the reconciliation test: names from the demo, written as people type them.

``names.tsv`` is data: one line a name (the text as typed, the USCC it must
match at rank 1, the kind of variant, and the properties a column would give),
under a header naming the demo it was written from. It was written by

    .venv/bin/python -m tests.reconcile.names

which builds that demo (``DEMO``: the generator's organisations, seed and
day), syncs it, and draws 200 published organisations with ``random.Random``
of the same seed. Every fifth name is as registered; the others are written
with or without 北京/北京市, with spaces, with one character mistyped (a
character replaced, left out or doubled), or two of these at once. A variant
that is some other published organisation's name, or that two names could be,
is drawn again. The expected code is the organisation's, never a search
engine's answer.
"""

import csv
import random
import sys
import tempfile
from pathlib import Path

DATA = Path(__file__).with_name("names.tsv")
#: The demo the list is written from: organisations, seed, and the demo's day (tests.conftest.DEMO_TODAY).
DEMO = {"organisations": 1500, "seed": 21, "today": "2026-11-02"}
NAMES = 200
KINDS = ("as_registered", "beijing_prefix", "spacing", "typo", "prefix_spacing_typo")
#: Characters a typo puts in (common ones, as a wrong pick of an input method would).
TYPO_CHARACTERS = "的一是在不了有和人这中大为上个国以要时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经之进着等部度家电力里如水化高自理起小物现实加量都两体制机当使点从业本去把性好应开合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理"


class Row(dict):
    """One line of names.tsv: text, uscc, kind, district, org_type (the last two may be empty)."""


def read_names():
    """Return (demo settings, [Row]) from names.tsv."""
    lines = DATA.read_text(encoding="utf-8").splitlines()
    header = dict(item.split("=", 1) for item in lines[0].lstrip("# ").split())
    settings = {"organisations": int(header["organisations"]), "seed": int(header["seed"]), "today": header["today"]}
    rows = [Row(row) for row in csv.DictReader(lines[1:], delimiter="\t", quoting=csv.QUOTE_NONE)]
    return settings, rows


def core(name):
    """A name as the service compares it: no spaces, no 北京市 or 北京 in front."""
    name = "".join(name.split())
    for word in ("北京市", "北京"):
        if name.startswith(word):
            return name[len(word) :]
    return name


def _prefix_variant(rng, name):
    if name.startswith("北京市"):
        return rng.choice(("北京", "")) + name[3:]
    if name.startswith("北京"):
        return rng.choice(("北京市", "")) + name[2:]
    return rng.choice(("北京市", "北京")) + name


def _spacing_variant(rng, name):
    """Spaces where people put them: after 北京市, after the district, or anywhere; sometimes a full-width one."""
    cuts = [index for index in range(2, len(name) - 1) if name[index - 1] in "市区县会" or rng.random() < 0.15]
    cuts = sorted(rng.sample(cuts, min(len(cuts), 2))) if cuts else [len(name) // 2]
    space = "\u3000" if rng.random() < 0.2 else " "
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(name[start:cut])
        start = cut
    pieces.append(name[start:])
    return space.join(pieces) + (" " if rng.random() < 0.3 else "")


def _typo_variant(rng, name):
    """One character wrong (replaced, left out or doubled), never in 北京市 or the last two characters."""
    start = 3 if name.startswith("北京市") else 0
    position = rng.randrange(start, len(name) - 2)
    draw = rng.random()
    if draw < 0.6:
        replacement = rng.choice([c for c in TYPO_CHARACTERS if c != name[position]])
        return name[:position] + replacement + name[position + 1 :]
    if draw < 0.8:
        return name[:position] + name[position + 1 :]
    return name[:position] + name[position] + name[position:]


def variant(rng, name, kind):
    if kind == "as_registered":
        return name
    if kind == "beijing_prefix":
        return _prefix_variant(rng, name)
    if kind == "spacing":
        return _spacing_variant(rng, name)
    if kind == "typo":
        return _typo_variant(rng, name)
    return _spacing_variant(rng, _typo_variant(rng, _prefix_variant(rng, name)))


def write_names(published, seed):
    """Return the [Row] of the list from the published organisations [(uscc, name, district, org_type)]."""
    from portal.reference import DISTRICT_NAMES_ZH, ORG_TYPE_NAMES_ZH

    rng = random.Random(seed)
    cores = {}
    for _, name, _, _ in published:
        cores[core(name)] = cores.get(core(name), 0) + 1
    unique = [organisation for organisation in published if cores[core(organisation[1])] == 1]
    rows = []
    for index, (uscc, name, district, org_type) in enumerate(rng.sample(unique, NAMES)):
        kind = KINDS[index % len(KINDS)]
        for _attempt in range(20):
            text = variant(rng, name, kind)
            if core(text) == core(name) or core(text) not in cores:
                break
        else:
            raise SystemExit(f"no variant of {name} is free of other names")
        draw = rng.random()
        rows.append(
            Row(
                text=text,
                uscc=uscc,
                kind=kind,
                # A third of the lines have a district column, a quarter a type column (as a clerk writes them).
                district=DISTRICT_NAMES_ZH[district] if draw < 0.33 else "",
                org_type=ORG_TYPE_NAMES_ZH[org_type] if 0.33 <= draw < 0.58 else "",
            )
        )
    return rows


def published_organisations_of_demo(settings, folder):
    """Build the demo of ``settings`` in ``folder`` (SQLite), sync it; return its published organisations."""
    from datetime import date

    from sqlalchemy import select

    from portal import create_app
    from portal.demo.generator import generate_scoring_db
    from portal.extensions import db
    from portal.publication.models import Organisation
    from portal.publication.state import PUBLISHED
    from portal.sync import service as sync_service

    scoring_url = f"sqlite:///{folder}/scoring.db"
    generate_scoring_db(
        scoring_url, orgs=settings["organisations"], seed=settings["seed"], today=date.fromisoformat(settings["today"])
    )
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "names",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/portal.db",
            "SCORING_DATABASE_URL": scoring_url,
            "INDEX_DIR": f"{folder}/index",
            "DOWNLOADS_DIR": f"{folder}/downloads",
            "DOWNLOADS_AFTER_SYNC": False,
        }
    )
    with app.app_context():
        db.create_all()
        result = sync_service.run_sync(trigger="test", update_index=False)
        assert result.status == "succeeded", result.error
        rows = db.session.execute(
            select(Organisation.uscc, Organisation.name, Organisation.district_code, Organisation.org_type)
            .where(PUBLISHED)
            .order_by(Organisation.uscc)
        ).all()
    return [tuple(row) for row in rows]


def main():
    with tempfile.TemporaryDirectory() as folder:
        rows = write_names(published_organisations_of_demo(DEMO, folder), DEMO["seed"])
    with DATA.open("w", encoding="utf-8", newline="") as handle:
        handle.write(" ".join(f"{key}={value}" for key, value in DEMO.items()).join(("# ", "\n")))
        writer = csv.DictWriter(
            handle, ("text", "uscc", "kind", "district", "org_type"), delimiter="\t", lineterminator="\n",
            quoting=csv.QUOTE_NONE, escapechar="\\",
        )
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} names written to {DATA}", file=sys.stderr)


if __name__ == "__main__":
    main()
