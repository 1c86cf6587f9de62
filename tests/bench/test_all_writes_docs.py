"""bench/all.py --write-docs: each script's output lands in docs/benchmarks.md under its command and commit.

Rendering and rewriting only, on fake runs: no benchmark runs here.
"""

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("bench_all", ROOT / "bench" / "all.py")
bench_all = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_all)

STARTED = datetime(2026, 12, 7, 4, 30, tzinfo=UTC)
SEARCH_OUTPUT = """class            p50 ms  p99 ms  hits
uscc-exact          0.3     0.4     1
two-characters      2.1     5.7  6597

verdict: all 2 goals met
"""
SYNC_OUTPUT = """full sync SQLite 11.4 s, 8.6x the raw read (goal <= 3x) MISSED
verdict: goals missed (1 of 4):
  full sync 8.6x the raw read (goal <= 3x)
"""
DOCUMENT = f"""# Benchmarks

Written by hand, kept.

{bench_all.BEGIN}
No run has been written here yet.
{bench_all.END}

## The sync

Also kept.
"""


def fake_run(script, output, status=0, commit="abc1234def"):
    missed = sum(bench_all.says_a_goal_was_missed(line) for line in output.splitlines())
    return bench_all.Run(script, f".venv/bin/python bench/{script} --orgs 60000", commit, STARTED, 76.4, status,
                         missed, output)


def summary(runs):
    return bench_all.render_summary(runs, 690.6, ".venv/bin/python bench/all.py --write-docs", "abc1234def",
                                    STARTED, 2.87)


def test_a_script_block_is_its_output_under_its_command_and_commit():
    block = bench_all.render_block(fake_run("search.py", SEARCH_OUTPUT))
    assert block == (
        "<!-- bench: search.py -->\n"
        "#### `.venv/bin/python bench/search.py --orgs 60000`\n\n"
        "Commit `abc1234def`, 2026-12-07 04:30 UTC, 76 s, exit 0.\n\n"
        f"```text\n{SEARCH_OUTPUT.rstrip()}\n```\n"
    )


def test_a_missed_goal_is_said_above_the_output():
    block = bench_all.render_block(fake_run("sync.py", SYNC_OUTPUT, status=1))
    assert "Commit `abc1234def`, 2026-12-07 04:30 UTC, 76 s, **exit 1**, **2 lines saying a goal was missed**." in block
    assert SYNC_OUTPUT.rstrip() in block


def test_output_with_backticks_keeps_its_fence():
    block = bench_all.render_block(fake_run("pages.py", "a ``` b\n"))
    assert "````text\na ``` b\n````" in block


def test_the_summary_lists_each_script_and_the_budget():
    text = summary([fake_run("sync.py", SYNC_OUTPUT, status=1), fake_run("search.py", SEARCH_OUTPUT)])
    assert text == (
        "<!-- bench: all -->\n"
        "#### `.venv/bin/python bench/all.py --write-docs`\n\n"
        "Commit `abc1234def`, 2026-12-07 04:30 UTC, 691 s (11.5 min, within the 15-minute budget), "
        "load average 2.87 at the end.\n\n"
        "| script | seconds | exit | lines saying a goal was missed |\n"
        "|---|---|---|---|\n"
        "| `sync.py` | 76 | 1 | 2 |\n"
        "| `search.py` | 76 | 0 | 0 |\n"
    )


def test_writing_replaces_only_the_generated_section():
    runs = [fake_run("search.py", SEARCH_OUTPUT), fake_run("sync.py", SYNC_OUTPUT, status=1)]
    written = bench_all.write_section(DOCUMENT, summary(runs), runs)
    before, rest = written.split(bench_all.BEGIN)
    section, after = rest.split(bench_all.END)
    assert before == "# Benchmarks\n\nWritten by hand, kept.\n\n"
    assert after == "\n\n## The sync\n\nAlso kept.\n"
    assert "No run has been written here yet." not in section
    # The summary first, then the scripts in make bench's order (sync before search), each once.
    assert [line for line in section.splitlines() if line.startswith("<!-- bench:")] == [
        "<!-- bench: all -->", "<!-- bench: sync.py -->", "<!-- bench: search.py -->"]
    assert section.index(SYNC_OUTPUT.rstrip()) < section.index(SEARCH_OUTPUT.rstrip())
    # Written twice, the same document: nothing accumulates.
    assert bench_all.write_section(written, summary(runs), runs) == written


def test_a_script_run_alone_keeps_the_others_blocks():
    first = [fake_run("search.py", SEARCH_OUTPUT, commit="1111111111"), fake_run("sync.py", SYNC_OUTPUT, status=1)]
    written = bench_all.write_section(DOCUMENT, summary(first), first)
    again = [fake_run("search.py", SEARCH_OUTPUT.replace("5.7", "4.9"), commit="2222222222")]
    rewritten = bench_all.write_section(written, summary(again), again)
    _before, blocks, _after = bench_all.split_section(rewritten)
    assert set(blocks) == {"all", "sync.py", "search.py"}
    assert "Commit `2222222222`" in blocks["search.py"] and "4.9" in blocks["search.py"]
    assert blocks["sync.py"] == bench_all.render_block(first[1]).strip("\n")
    assert "Commit `1111111111`" not in rewritten


@pytest.mark.parametrize("document", [
    "# Benchmarks\n",
    f"{bench_all.END}\n{bench_all.BEGIN}\n",
    f"{bench_all.BEGIN}\n{bench_all.BEGIN}\n{bench_all.END}\n",
])
def test_a_document_without_its_markers_is_refused(document):
    with pytest.raises(ValueError, match="markers"):
        bench_all.split_section(document)


def test_the_documentation_has_the_generated_section():
    _before, blocks, _after = bench_all.split_section(bench_all.DOCS.read_text(encoding="utf-8"))
    assert set(blocks) <= {"all", *(script for script, _ in bench_all.BENCHMARKS)}
    assert "bench/all.py --write-docs" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_a_missed_goal_fails_the_run_and_is_still_written(monkeypatch, tmp_path):
    """main() with the scripts faked: exit 1 on a missed goal, and the document written all the same."""
    document = tmp_path / "benchmarks.md"
    document.write_text(DOCUMENT, encoding="utf-8")
    monkeypatch.setattr(bench_all, "DOCS", document)
    monkeypatch.setattr(bench_all, "commit_of_the_tree", lambda: "abc1234def")
    outputs = {"sync.py": (SYNC_OUTPUT, 1), "search.py": (SEARCH_OUTPUT, 0)}
    monkeypatch.setattr(bench_all, "run_script",
                        lambda script, arguments, commit: fake_run(script, *outputs[script], commit=commit))
    assert bench_all.main(["sync", "search", "--write-docs"]) == 1
    _before, blocks, _after = bench_all.split_section(document.read_text(encoding="utf-8"))
    assert set(blocks) == {"all", "sync.py", "search.py"}
    assert "#### `.venv/bin/python bench/all.py sync search --write-docs`" in blocks["all"]
    monkeypatch.setattr(bench_all, "run_script",
                        lambda script, arguments, commit: fake_run(script, SEARCH_OUTPUT, commit=commit))
    assert bench_all.main(["search"]) == 0
