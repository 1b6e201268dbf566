"""The command line: ``explain derive``, ``explain draw``, ``explain check``, ``explain layers``.

Exit status: 0 done; 1 ``check`` found a claim that is not correct; 2 bad input or usage, with
one line on stderr.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any, Callable, Sequence

from .errors import ExplainError
from .files import write_atomic
from .render import FORMATS, LANGUAGES


MAX_DIGITS = 1200
"""Digits of the largest --set value (spec arithmetic allows numbers of up to MAX_BITS bits)."""
_WHOLE = re.compile(r"[0-9]+(_[0-9]+)*", re.ASCII)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ExplainError(f"usage: {message} (see 'explain --help')")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the text")
    p.add_argument("--format", default="markdown", choices=FORMATS, help="output format")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")


def _derive(sub: Any) -> None:
    derive = sub.add_parser("derive", help="derive a model's parameter count step by step")
    derive.add_argument("model", metavar="MODEL", help="a spec, Keras JSON or .keras file, config.json, "
                        ".py snippet, .safetensors file, or example:NAME")
    derive.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                        help="give a declared symbol another value (T=…: the sequence length compute "
                             "and memory count at)")
    derive.add_argument("--architecture", metavar="NAME",
                        help="Hugging Face config: the class to build (LlamaForCausalLM, …)")
    derive.add_argument("--fragment", action="store_true", help="LaTeX: a fragment to \\input, not a document")
    derive.add_argument("--expand", action="store_true", help="derive repeated layers one by one")
    derive.add_argument("--count", default="params", metavar="LIST",
                        help="what to derive, a comma list of " + ", ".join(COUNTS) + " (default: params)")
    derive.add_argument("--detail", default="compact", choices=("compact", "full"),
                        help="compact: a kind of layer explained in full once, later ones in one "
                        "line; full: every layer in full")
    derive.add_argument("--no-pictures", dest="pictures", action="store_false",
                        help="leave out the model drawn and the chart of where the parameters are")
    _common(derive)


def _draw(sub: Any) -> None:
    draw = sub.add_parser("draw", help="the model drawn: its layers as boxes in data-flow order")
    draw.add_argument("model", metavar="MODEL", help="as for derive")
    draw.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                      help="give a declared symbol another value")
    draw.add_argument("--architecture", metavar="NAME", help="Hugging Face config: the class to build")
    draw.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the labels")
    draw.add_argument("--format", default="mermaid", choices=("mermaid", "tikz", "svg"),
                      help="Mermaid source, a TikZ picture (for lualatex), or an SVG image")
    draw.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")


def _check(sub: Any) -> None:
    check = sub.add_parser("check", help="check a hand calculation: a worksheet, or a document "
                           "(Markdown, LaTeX, text, Jupyter notebook, PDF) with calculations in it")
    check.add_argument("worksheet", metavar="WORKSHEET_OR_DOCUMENT", nargs="?")
    check.add_argument("--grade", metavar="DIR", help="grade a folder of filled-in answer forms: a CSV "
                       "(student, variant, claim, verdict, points) to -o FILE (default grades.csv) and "
                       "a summary per student beside it")
    check.add_argument("--model", metavar="MODEL", help="the model, if the worksheet names none or "
                       "the document has no Keras or PyTorch code")
    check.add_argument("--annotate", nargs="?", const="", default=None, metavar="FILE",
                       help="documents: write a copy with a note after each wrong calculation "
                       "(to FILE, or NAME.checked.EXT next to the document)")
    check.add_argument("--model-root", dest="model_roots", action="append", default=[], metavar="DIR",
                       help="a folder the worksheet's model may be in, besides the worksheet's own")
    check.add_argument("--fragment", action="store_true", help="LaTeX: a fragment to \\input")
    _common(check)


def _exercise(sub: Any) -> None:
    exercise = sub.add_parser("exercise", help="exercise sheets with solutions and answer forms, a "
                              "variant per student, or a Moodle quiz")
    exercise.add_argument("model", metavar="MODEL", help="a spec file (YAML or JSON) or example:NAME")
    exercise.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the text")
    exercise.add_argument("--format", default="markdown", choices=("markdown", "latex", "moodle"),
                          help="sheets in Markdown or LaTeX, or a Moodle XML quiz")
    exercise.add_argument("--out", required=True, metavar="DIR", help="the folder the files go to")
    exercise.add_argument("--show", default="table", choices=("table", "code"),
                          help="the model as a table of layers or as its code")
    exercise.add_argument("--ask", default="shapes,params", metavar="LIST",
                          help="what the sheet asks: a comma list of shapes, params, trainable, macs")
    exercise.add_argument("--variants", type=int, metavar="N", help="draw N variants of the model")
    exercise.add_argument("--seed", type=int, default=0, metavar="S", help="the seed the variants are drawn with")
    exercise.add_argument("--vary", metavar="LIST", help="what varies: a comma list of filters, units, "
                          "kernel, strides, padding, input, seq (default: all)")
    exercise.add_argument("--students", metavar="ROSTER.csv", help="one sheet per student of the roster")


def _layers(sub: Any) -> None:
    layers = sub.add_parser("layers", help="every supported layer type and its formula")
    layers.add_argument("--framework", default=None, choices=("keras", "pytorch"))
    _common(layers)


_COMMANDS: dict[str, Callable[[Any], None]] = {
    "derive": _derive, "draw": _draw, "check": _check, "exercise": _exercise, "layers": _layers}
"""Each command and what adds its parser, in the order ``explain --help`` lists them."""


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. Given ``command`` (a known one, the first argument), only its
    parser is added: argparse looks up its own messages' translations for every parser it makes
    (a file search each), which for all five was 2–3 ms of every run; the parse and the messages
    (``explain derive --help``, errors) are the same."""
    parser = _Parser(prog="explain", description="Explain where a neural network's parameter count comes from.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, add in _COMMANDS.items():
        if command is None or command == name:
            add(sub)
    return parser


def _overrides(items: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        number = 0
        digits = value.strip()
        if _WHOLE.fullmatch(digits) and len(digits) <= MAX_DIGITS:  # single underscores: 1_000
            number = int(digits)
        if not sep or not name.strip() or number <= 0:
            raise ExplainError(f"--set takes NAME=VALUE with a positive whole number of at most "
                               f"{MAX_DIGITS} digits. Received: {item!r}")
        out[name.strip()] = number
    return out


COUNTS = ("params", "compute", "memory")
"""What ``derive --count`` takes: parameters, compute (MACs, FLOPs), training memory."""


def counts(text: str) -> tuple[str, ...]:
    """``--count``'s comma list, in the order given, each once; parameters are always derived."""
    items = [item.strip() for item in text.split(",")]
    unknown = [item for item in items if item not in COUNTS]
    if unknown:
        raise ExplainError(f"--count takes a comma list of {', '.join(COUNTS)}. Received: {text!r}")
    return tuple(dict.fromkeys(["params", *items]))


def run(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = _parser(words[0] if words and words[0] in _COMMANDS else None).parse_args(argv)
    status = 0
    from .render import render_document
    if args.command == "derive":
        from .importers import load
        count = counts(args.count)
        model = load(args.model, _overrides(args.overrides), args.architecture)
        text = render_document("derivation", model, lang=args.lang, format=args.format,
                               fragment=args.fragment, expand=args.expand, count=count,
                               detail=args.detail, pictures=args.pictures)
    elif args.command == "exercise":
        from . import exercise as ex
        students = ex.read_roster(args.students) if args.students else []
        items = ex.assignments(args.model, args.variants, args.seed, args.vary, students,
                               ex.parse_ask(args.ask), args.show)
        ex.write_files(args.out, ex.exercise_files(items, args.lang, args.format))
        return 0
    elif args.command == "check" and args.grade is not None:
        from .exercise.grading import grade_command
        return grade_command(args.grade, args.worksheet, args.output)
    elif args.command == "draw":
        from .importers import load
        from .render.draw import draw as draw_model
        text = draw_model(load(args.model, _overrides(args.overrides), args.architecture), args.lang, args.format)
    elif args.command == "check":
        if args.worksheet is None:
            raise ExplainError("usage: check takes a worksheet or document, or --grade DIR")
        from .checker import check_any
        report = check_any(args.worksheet, model=args.model, annotate=args.annotate is not None,
                           model_roots=args.model_roots)
        if args.annotate is not None:
            from .checker.documents.annotate import write_annotated
            write_annotated(report, args.annotate or None, lang=args.lang)
        text = render_document("check", report, lang=args.lang, format=args.format, fragment=args.fragment)
        status = 0 if report.all_correct else 1
    else:
        text = render_document("layers", None, lang=args.lang, format=args.format, framework=args.framework)
    _write(text, args.output)
    return status


def _write(text: str, output: str | None) -> None:
    """``text`` to standard output or to ``output``. A file is written whole or not at all: into
    a temporary file beside it, moved into place only when complete (an existing file is never
    truncated by a failed run)."""
    data = text.encode("utf-8")  # fails, if at all, before anything is touched
    if output is None:
        _write_stdout(data)
        return
    write_atomic(output, data)


class OutputClosed(Exception):
    """Standard output went away (a closed pipe, ``explain … | head``): nothing more to say."""


def _write_stdout(data: bytes) -> None:
    stream = sys.stdout
    if stream is None:  # started with standard output closed
        raise ExplainError("cannot write: standard output is closed (use -o FILE)")
    try:
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            buffer.write(data)
        else:  # a text stream without bytes (a test's capture)
            stream.write(data.decode("utf-8"))
        stream.flush()
    except BrokenPipeError:
        raise OutputClosed() from None
    except (OSError, ValueError) as e:  # a full disk (/dev/full), a closed descriptor
        raise ExplainError(f"cannot write to standard output: {getattr(e, 'strerror', None) or e}") \
            from None


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
        _complain(str(e))  # one line, made safe by ExplainError itself
        return 2
    except OutputClosed:
        _quiet_stdout()
        return 1
    except KeyboardInterrupt:
        return 130
    except RecursionError:
        _complain("the input is nested too deeply")
        return 2


def _complain(message: str) -> None:
    """``explain: message`` on standard error, if there is one to write to."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(f"explain: {message}\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def _quiet_stdout() -> None:
    """After a closed pipe: standard output points at /dev/null, so that flushing it at exit
    reports nothing (Python's advice for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def console() -> None:
    """The ``explain`` command (and ``python -m explain``): :func:`main`, then exit at once.

    Nothing is left to do after the output but free every object one by one, a good part of a
    short run; so flush and leave, unless a tracer or profiler still wants to report. The cycle
    collector stays off to the end: turned back on, it would first go through every object the
    run made (sympy's among them), about 45 ms, just before the process exits."""
    import gc
    gc.disable()
    status = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # the reader went away (explain derive ... | head)
            status = status or 1
            if stream is sys.stdout:
                _quiet_stdout()
    if sys.gettrace() is None and sys.getprofile() is None:
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    console()
