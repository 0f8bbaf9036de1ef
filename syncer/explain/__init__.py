"""`syncer explain ENTRY`: why one entry is (or is not) in the desired list, and what a sync would do with it.

- `entry`: the accepted ENTRY forms and the configured scope of one (no network; BadEntry → exit 2);
- `explanation`: one scope listed, every rule's verdict, extra, the keep of a failed source, Datadog's list;
- `output`: text, and `--output json` (its keys are documented there).

Nothing is written: no PUT, no state, no journal.
"""

from __future__ import annotations

from syncer.explain.entry import FORMS, BadEntry
from syncer.explain.explanation import Explanation, explain
from syncer.explain.output import as_json, as_text

__all__ = ["FORMS", "BadEntry", "Explanation", "as_json", "as_text", "explain"]
