"""The publication: what the public sees, and the rule that decides it.

- ``models``: the published data model (organisations, their scores, credit
  events and list entries, score snapshots, list changes and the one-row
  publication state with its version);
- ``state``: "what is published now" (the ``PUBLISHED`` condition every
  public query starts from, the current ``Publication``, the hooks that run
  after each new publication);
- ``decision``: the publication rule (``decide_publication``);
- ``changes``: list changes as the public may see them (``public_changes``, ``shown_grades``), for
  the pages, feeds and API alike.

The sync writes the publication; search, pages, the API, open data,
statistics and reports read it. Nothing here imports a feature, the sync or
the search.
"""
