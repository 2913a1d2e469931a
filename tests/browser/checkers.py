"""axe-core in a Playwright page, from the npm package pinned in package.json (`npm ci` installs it)."""

import os
from pathlib import Path

import pytest

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA (contrast included) plus axe's best practices (landmarks, headings, regions).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def require(path: Path) -> Path:
    if not path.exists():
        reason = f"{path} is missing: run `npm ci` in the project folder"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def axe_violations(page) -> list[str]:
    """axe's violations on the page as it is now, as 'rule: selector' lines (empty when clean)."""
    source = require(AXE).read_text()
    # evaluate() runs over the DevTools protocol, outside the page's CSP (no inline <script> needed).
    page.evaluate(source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", AXE_TAGS
    )
    return [f"{v['id']}: {', '.join(str(n['target']) for n in v['nodes'][:3])}" for v in result["violations"]]
