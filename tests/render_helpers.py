"""Helpers for the rendering tests: Markdown parsing with dollarmath, KaTeX in one node process,
lualatex compiles in a temporary directory."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT, require_module, require_tool

LANGS = ("en", "de", "ja", "fr", "es")
# 6,029,097 as CLDR writes it in each language (fr: narrow no-break space).
SEED_TOTAL = {"en": "6,029,097", "de": "6.029.097", "ja": "6,029,097", "fr": "6\u202f029\u202f097",
              "es": "6.029.097"}


def compute_layers(md: str) -> str:
    """A Markdown derivation's "Compute, layer by layer" section, from its heading to the next
    ``##`` heading (the training memory's, where memory is counted) or the end."""
    start = md.index("### Compute, layer by layer")
    end = md.find("\n## ", start)
    return md[start:] if end < 0 else md[start:end + 1]


def markdown_parser():
    markdown_it = require_module("markdown_it")
    plugins = require_module("mdit_py_plugins.dollarmath")
    return markdown_it.MarkdownIt("commonmark").enable("table").use(plugins.dollarmath_plugin,
                                                                    double_inline=True)


def walk(tokens):
    for t in tokens:
        yield t
        if t.children:
            yield from walk(t.children)


def formulas(text: str) -> list[tuple[str, bool]]:
    """Every formula of a Markdown text: (TeX, display?)."""
    md = markdown_parser()
    out = []
    for t in walk(md.parse(text)):
        if t.type in ("math_inline", "math_inline_double"):
            out.append((t.content, t.type == "math_inline_double"))
        elif t.type in ("math_block", "math_block_label"):
            out.append((t.content, True))
    return out


KATEX_SCRIPT = r"""
const katex = require(process.argv[1]);
let data = '';
process.stdin.on('data', c => data += c);
process.stdin.on('end', () => {
  const errors = [];
  for (const [tex, display] of JSON.parse(data)) {
    try { katex.renderToString(tex, {displayMode: display, throwOnError: true, strict: 'error'}); }
    catch (e) { errors.push([tex, String(e.message || e)]); }
  }
  process.stdout.write(JSON.stringify(errors));
});
"""


def katex_errors(items: list[tuple[str, bool]]) -> list[list[str]]:
    """Render every formula with KaTeX (throwOnError) in one node process; the failures."""
    node = require_tool("node")
    katex = ROOT / "node_modules" / "katex"
    if not katex.exists():
        if IN_CI:
            pytest.fail("node_modules/katex is required in CI (tests/run installs it)")
        pytest.skip("KaTeX is not installed (run npm install)")
    result = subprocess.run([node, "-e", KATEX_SCRIPT, str(katex)], input=json.dumps(items),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def compile_latex(tex: str, directory: Path, name: str = "doc") -> Path:
    """Compile with lualatex (nonstopmode, halt on error); the PDF, or a failure with the log."""
    lualatex = require_tool("lualatex")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.tex").write_text(tex, encoding="utf-8")
    result = subprocess.run([lualatex, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                            cwd=directory, capture_output=True, text=True, timeout=300)
    log = (directory / f"{name}.log").read_text("utf-8", errors="replace") if (directory / f"{name}.log").exists() else ""
    assert result.returncode == 0, f"lualatex failed for {name}:\n" + "\n".join(
        l for l in log.splitlines() if l.startswith("!") or "error" in l.lower())[:3000]
    assert "Missing character" not in log, [l for l in log.splitlines() if "Missing character" in l][:5]
    return directory / f"{name}.pdf"


def pdf_text(pdf: Path) -> str:
    pdftotext = require_tool("pdftotext")
    return subprocess.run([pdftotext, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
