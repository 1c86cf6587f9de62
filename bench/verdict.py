"""The verdict every benchmark ends with: each goal met or missed, and an exit status that says so.

    goals = Goals()
    goals.check(p99 <= 100, f"search p99 {p99:.0f} ms (goal <= 100 ms)")
    goals.finish()        # prints the verdict; exits 1 if any goal was missed

``bench/all.py`` (``make bench``) runs every script and fails when one exits non-zero.
"""

import os
import sys


class Goals:
    """The goals checked by one benchmark run."""

    def __init__(self):
        self.met = []
        self.missed = []

    def check(self, ok, text):
        """Record one goal: ``text`` says the figure and the goal; return ``ok``."""
        (self.met if ok else self.missed).append(text)
        return ok

    def finish(self):
        """Print the verdict and the load average; exit 1 if a goal was missed (or none was checked)."""
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"\nload average at the end: {load}")
        if not self.met and not self.missed:
            print("verdict: goals missed: no goal was checked")
            sys.exit(1)
        if self.missed:
            print(f"verdict: goals missed ({len(self.missed)} of {len(self.met) + len(self.missed)}):\n  "
                  + "\n  ".join(self.missed))
            sys.exit(1)
        print(f"verdict: all {len(self.met)} goals met")
