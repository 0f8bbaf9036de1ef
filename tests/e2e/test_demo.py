"""`syncer demo` as a person runs it: two runs, the second in step and free of GitHub rate limit, then a webhook."""

from __future__ import annotations

import os
import re
import subprocess
import sys


def test_the_demo_ends_in_step_with_a_free_second_run_and_a_webhook_reaching_datadog() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCER_", "DD_"))}
    done = subprocess.run(
        [sys.executable, "-m", "syncer", "demo"], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"== first run: 3 PUT\(s\) sent to Datadog ==", out), out
    assert "== second run: 0 PUT(s) sent to Datadog, 0 GitHub rate-limit point(s) spent ==" in out, out
    assert "second run changed nothing: every list is in step" in out
    assert "selector: ghe.acme.internal keeps the repos with custom property tier in [tier-1, tier-2]" in out
    assert re.search(r"source ghe\.acme\.internal/platform: 120 listed, [1-9][0-9] kept", out), (
        "the selector drops some"
    )
    assert "selector: jira.acme.internal keeps the projects of the categories Engineering, Operations" in out
    assert re.search(r"== webhook: acme/created-during-the-demo created in GitHub was in Datadog [0-9.]+ s later", out)
    assert "Traceback" not in done.stderr
    events = re.findall(r"== Datadog change events: (\d+) received", out)
    assert events == ["3", "1"], "one change event per applied write: the first run's three, the webhook run's one"
    assert "[change] syncer updated the Datadog github entity integration list (+1 -0 ~0)" in out
