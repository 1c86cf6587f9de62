"""Run every benchmark at Beijing scale, one after the other, and time the whole (``make bench``).

    .venv/bin/python bench/all.py                 # all of them, about 15 minutes on an idle 2-core machine
    .venv/bin/python bench/all.py search          # only the scripts whose name contains "search"
    .venv/bin/python bench/all.py --write-docs    # and write their output into docs/benchmarks.md

Each script prints its own figures, its ratio to a baseline measured in the
same run (see docs/benchmarks.md) and a verdict, and exits 1 on a missed goal;
this prints how long each took, its exit status, how many of its lines say a
goal was missed, and the total against the 15-minute budget, and exits 1 if
any script exited non-zero or printed a missed goal. National scale is
``make bench-national``.

With ``--write-docs`` (as ``make bench`` runs it) the generated section of
docs/benchmarks.md, between its two markers, gets each script's output as
printed, under the command and the commit that produced it; a script not run
this time keeps its last block, with its own command and commit. The section
is written whatever the verdict: a missed goal is shown, and still fails the run.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
BUDGET_SECONDS = 15 * 60

#: (script, arguments): Beijing scale, sized so that the whole fits the budget.
BENCHMARKS = [
    ("sync.py", ["--orgs", "60000"]),
    ("index_build.py", ["--orgs", "60000"]),
    ("search.py", ["--sizes", "60000", "--queries", "100", "--warmup", "30"]),
    ("export.py", ["--sizes", "60000", "--backends", "sqlite,postgresql"]),
    ("pages.py", ["--orgs", "12000"]),
    ("load.py", ["--orgs", "60000", "--duration", "60"]),
    ("upload_bombs.py", ["--seconds", "20"]),
    ("national.py", ["--sizes", "30000", "--queries", "30"]),
    ("relevance.py", []),
]

#: The generated section of docs/benchmarks.md lies between these lines; nothing else there is touched.
BEGIN = "<!-- BEGIN bench/all.py --write-docs: generated, do not edit by hand -->"
END = "<!-- END bench/all.py --write-docs -->"
#: Each script's block in the section begins with this line (its name filled in); the summary is "all".
BLOCK = "<!-- bench: {} -->"
_BLOCK = re.compile(r"^<!-- bench: (\S+) -->$", re.MULTILINE)


@dataclass
class Run:
    """One script's run: what was run, on which commit, when, and what it printed."""

    script: str
    command: str
    commit: str
    started: datetime
    seconds: float
    status: int
    missed: int
    output: str


def says_a_goal_was_missed(line):
    return "MISSED" in line or "goals missed" in line or "no verdict" in line


def commit_of_the_tree():
    """The commit the benchmarks run on (short hash), marked when the working tree differs from it."""
    def git(*arguments):
        completed = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True)
        return completed.stdout.strip() if completed.returncode == 0 else None

    commit = git("rev-parse", "--short=10", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no")
    return f"{commit} with uncommitted changes" if changed else commit


def fence(text):
    """A Markdown code fence longer than any run of backticks in ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def render_block(run):
    """The Markdown of one script's run: its command, commit, date, time and exit status, then its output."""
    output = run.output.rstrip("\n")
    marks = fence(output)
    outcome = "exit 0" if run.status == 0 else f"**exit {run.status}**"
    if run.missed:
        outcome += f", **{run.missed} line{'s' if run.missed != 1 else ''} saying a goal was missed**"
    return (
        f"{BLOCK.format(run.script)}\n"
        f"#### `{run.command}`\n\n"
        f"Commit `{run.commit}`, {run.started:%Y-%m-%d %H:%M} UTC, {run.seconds:.0f} s, {outcome}.\n\n"
        f"{marks}text\n{output}\n{marks}\n"
    )


def render_summary(runs, total, command, commit, started, load_average):
    """The Markdown of the whole run: one line per script run, and the time against the budget."""
    lines = [
        BLOCK.format("all"),
        f"#### `{command}`\n",
        f"Commit `{commit}`, {started:%Y-%m-%d %H:%M} UTC, {total:.0f} s ({total / 60:.1f} min, "
        f"{'within' if total <= BUDGET_SECONDS else 'over'} the {BUDGET_SECONDS // 60}-minute budget), "
        f"load average {load_average:.2f} at the end.\n",
        "| script | seconds | exit | lines saying a goal was missed |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{run.script}` | {run.seconds:.0f} | {run.status} | {run.missed} |" for run in runs]
    return "\n".join(lines) + "\n"


def split_section(text):
    """Return (before, {name: block}, after) of a document with the generated section; ValueError without one."""
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise ValueError(f"{DOCS.name} must hold the generated section's markers once each, in order")
    before, rest = text.split(BEGIN, 1)
    section, after = rest.split(END, 1)
    blocks = {}
    starts = list(_BLOCK.finditer(section))
    for match, following in zip(starts, [*starts[1:], None]):
        blocks[match.group(1)] = section[match.start():following.start() if following else len(section)].strip("\n")
    return before, blocks, after


def write_section(text, summary, runs):
    """Return ``text`` with its generated section holding ``summary`` and the blocks of ``runs``.

    Blocks of scripts not in ``runs`` stay as they were; blocks come in the
    order of BENCHMARKS (then any other name), after the summary.
    """
    before, blocks, after = split_section(text)
    blocks["all"] = summary.strip("\n")
    for run in runs:
        blocks[run.script] = render_block(run).strip("\n")
    order = ["all", *(script for script, _ in BENCHMARKS)]
    names = [name for name in order if name in blocks] + sorted(name for name in blocks if name not in order)
    body = "\n\n".join(blocks[name] for name in names)
    return f"{before}{BEGIN}\n{body}\n{END}{after}"


def run_script(script, arguments, commit):
    command = ["bench/" + script, *arguments]
    print(f"\n=== {' '.join(command)} (load average {os.getloadavg()[0]:.2f})", flush=True)
    started = datetime.now(UTC)
    began = time.perf_counter()
    missed = 0
    lines = []
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    with subprocess.Popen([sys.executable, str(ROOT / "bench" / script), *arguments], cwd=ROOT, env=environment,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line)
            missed += says_a_goal_was_missed(line)
    return Run(script, ".venv/bin/python " + " ".join(command), commit, started, time.perf_counter() - began,
               process.returncode, missed, "".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("words", nargs="*", help="run only the scripts whose name contains one of these")
    parser.add_argument("--write-docs", action="store_true",
                        help="write each script's output into the generated section of docs/benchmarks.md")
    options = parser.parse_args(argv)
    chosen = [(script, arguments) for script, arguments in BENCHMARKS
              if not options.words or any(word in script for word in options.words)]
    if options.write_docs:
        split_section(DOCS.read_text(encoding="utf-8"))  # fail now, not after 15 minutes, if the markers are gone
    commit = commit_of_the_tree()
    started = datetime.now(UTC)
    began = time.perf_counter()
    runs = [run_script(script, arguments, commit) for script, arguments in chosen]
    total = time.perf_counter() - began
    print("\nscript              seconds  exit  lines saying a goal was missed")
    for run in runs:
        print(f"{run.script:<18} {run.seconds:8.0f}  {run.status:4d}  {run.missed}")
    verdict = "within" if total <= BUDGET_SECONDS else "OVER"
    load_average = os.getloadavg()[0]
    print(f"all: {total:.0f} s ({total / 60:.1f} min), {verdict} the {BUDGET_SECONDS // 60}-minute budget; "
          f"load average {load_average:.2f}")
    # A script that exits 0 while printing a missed goal fails the run too.
    failed = [run.script for run in runs if run.status != 0 or run.missed]
    print(f"verdict: {'goals missed in ' + ', '.join(failed) if failed else 'every goal of every script met'}")
    if options.write_docs:
        command = " ".join([".venv/bin/python bench/all.py", *(argv if argv is not None else sys.argv[1:])])
        summary = render_summary(runs, total, command, commit, started, load_average)
        DOCS.write_text(write_section(DOCS.read_text(encoding="utf-8"), summary, runs), encoding="utf-8")
        print(f"wrote the output of {len(runs)} script(s) into {DOCS}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
