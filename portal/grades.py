"""The credit grades, best first, and those the public list shows.

Grade bands (the scores of each grade) come from the scoring database's rule
sets, never from code; only the grade letters and the publication threshold
live here.
"""

GRADES = ("A", "B", "C", "D")
PUBLISHED_GRADES = ("A", "B")
