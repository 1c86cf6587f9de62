"""Run every benchmark at Beijing scale, one after the other, and time the whole (``make bench``).

    .venv/bin/python bench/all.py            # all of them, about 15 minutes on an idle 2-core machine
    .venv/bin/python bench/all.py search     # only the scripts whose name contains "search"

Each script prints its own figures, its ratio to a baseline measured in the
same run (see docs/benchmarks.md) and a verdict, and exits 1 on a missed goal;
this prints how long each took, its exit status, how many of its lines say a
goal was missed, and the total against the 15-minute budget, and exits 1 if
any script exited non-zero or printed a missed goal. National scale is
``make bench-national``.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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


def main():
    chosen = [(script, arguments) for script, arguments in BENCHMARKS
              if not sys.argv[1:] or any(word in script for word in sys.argv[1:])]
    results = []
    started = time.perf_counter()
    for script, arguments in chosen:
        command = [sys.executable, str(ROOT / "bench" / script), *arguments]
        print(f"\n=== {' '.join(['bench/' + script, *arguments])} (load average {os.getloadavg()[0]:.2f})", flush=True)
        began = time.perf_counter()
        missed = 0
        environment = dict(os.environ, PYTHONUNBUFFERED="1")
        with subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) as run:
            for line in run.stdout:
                print(line, end="", flush=True)
                missed += "MISSED" in line or "goals missed" in line or "no verdict" in line
        results.append((script, time.perf_counter() - began, run.returncode, missed))
    total = time.perf_counter() - started
    print("\nscript              seconds  exit  lines saying a goal was missed")
    for script, seconds, status, missed in results:
        print(f"{script:<18} {seconds:8.0f}  {status:4d}  {missed}")
    verdict = "within" if total <= BUDGET_SECONDS else "OVER"
    print(f"all: {total:.0f} s ({total / 60:.1f} min), {verdict} the {BUDGET_SECONDS // 60}-minute budget; "
          f"load average {os.getloadavg()[0]:.2f}")
    failed = [script for script, _, status, missed in results if status != 0 or missed]
    print(f"verdict: {'goals missed in ' + ', '.join(failed) if failed else 'every goal of every script met'}")
    # A script that exits 0 while printing a missed goal fails the run too.
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
