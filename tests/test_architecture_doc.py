"""docs/architecture.md draws the layers of .importlinter: the same packages, in the same order."""

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def importlinter_layers():
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    lines = config["importlinter:contract:layers"]["layers"].strip().splitlines()
    return [[name.strip() for name in line.split(":")] for line in lines]


def documented_layers():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("## The layers", 1)[1].split("```", 2)[1]
    layers = []
    for line in block.strip().splitlines():
        names = re.match(r"^([a-z0-9_]+(?: : [a-z0-9_]+)*)", line).group(1)
        layers.append(names.split(" : "))
    return layers


def test_the_architecture_page_draws_the_import_layers():
    assert documented_layers() == importlinter_layers()


def test_the_architecture_page_names_every_package():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = [path.parent.name for path in (ROOT / "portal").glob("*/__init__.py")]
    assert [name for name in packages if f"`{name}/`" not in text] == []
