"""The command line: ``explain derive``, ``explain check``, ``explain layers``.

Exit status: 0 done; 1 ``check`` found a claim that is not correct; 2 bad input or usage, with
one line on stderr.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .errors import ExplainError
from .render import FORMATS, LANGUAGES


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ExplainError(f"usage: {message} (see 'explain --help')")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="explain", description="Explain where a neural network's parameter count comes from.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the text")
        p.add_argument("--format", default="markdown", choices=FORMATS, help="output format")
        p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")

    derive = sub.add_parser("derive", help="derive a model's parameter count step by step")
    derive.add_argument("model", metavar="MODEL", help="a spec, Keras JSON or .keras file, config.json, "
                        ".py snippet, .safetensors file, or example:NAME")
    derive.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                        help="give a declared symbol another value")
    derive.add_argument("--architecture", metavar="NAME",
                        help="Hugging Face config: the class to build (LlamaForCausalLM, …)")
    derive.add_argument("--fragment", action="store_true", help="LaTeX: a fragment to \\input, not a document")
    derive.add_argument("--expand", action="store_true", help="derive repeated layers one by one")
    common(derive)

    check = sub.add_parser("check", help="check a hand calculation (a worksheet)")
    check.add_argument("worksheet", metavar="WORKSHEET")
    check.add_argument("--model", metavar="MODEL", help="the model, if the worksheet names none")
    check.add_argument("--fragment", action="store_true", help="LaTeX: a fragment to \\input")
    common(check)

    layers = sub.add_parser("layers", help="every supported layer type and its formula")
    layers.add_argument("--framework", default=None, choices=("keras", "pytorch"))
    common(layers)
    return parser


def _overrides(items: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            number = int(value.replace("_", ""))
        except ValueError:
            number = 0
        if not sep or not name or number <= 0:
            raise ExplainError(f"--set takes NAME=VALUE with a positive whole number. Received: {item!r}")
        out[name.strip()] = number
    return out


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    status = 0
    from .render import render_document
    if args.command == "derive":
        from .importers import load
        model = load(args.model, _overrides(args.overrides), args.architecture)
        text = render_document("derivation", model, lang=args.lang, format=args.format,
                               fragment=args.fragment, expand=args.expand)
    elif args.command == "check":
        from .checker import check_file
        report = check_file(args.worksheet, model=args.model)
        text = render_document("check", report, lang=args.lang, format=args.format, fragment=args.fragment)
        status = 0 if report.all_correct else 1
    else:
        text = render_document("layers", None, lang=args.lang, format=args.format, framework=args.framework)
    _write(text, args.output)
    return status


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise ExplainError(f"cannot write: {e.strerror or e}", file=output) from None


MAX_MESSAGE = 600
"""Characters of an error line; a longer one (a huge received value) is cut in the middle."""


def _one_line(text: str) -> str:
    """Control and line-breaking characters (from names in the input) escaped: the message stays
    one line and cannot move the terminal's cursor or colours; and it stays readable in length."""
    import unicodedata
    line = "".join(c if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") or c == "\t"
                   else ascii(c)[1:-1] for c in text)
    if len(line) > MAX_MESSAGE:
        half = MAX_MESSAGE // 2
        line = f"{line[:half]} … ({len(line) - 2 * half} characters left out) … {line[-half:]}"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    # one short run: the cycle collector would only cost time (a fifth on a 10,000-layer model;
    # the peak memory stays the same); restored afterwards for callers in the same process
    import gc
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _main(argv)
    finally:
        if collecting:
            gc.enable()


def _main(argv: Sequence[str] | None) -> int:
    try:
        return run(argv)
    except ExplainError as e:
        print(f"explain: {_one_line(str(e))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except RecursionError:
        print("explain: the input is nested too deeply", file=sys.stderr)
        return 2


def console() -> None:
    """The ``explain`` command (and ``python -m explain``): :func:`main`, then exit at once.

    Nothing is left to do after the output but free every object one by one, a good part of a
    short run; so flush and leave, unless a tracer or profiler still wants to report."""
    status = main()
    if sys.gettrace() is None and sys.getprofile() is None:
        import os
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # the reader went away (explain derive ... | head)
            status = status or 1
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    console()
