"""One renderer: every document kind in every format through one registry, every sentence from
the catalogs (the text format too)."""
from __future__ import annotations

import json

import pytest

from explain import load
from explain.checker import check_file
from explain.errors import ExplainError
from explain.render.documents import FORMATS, KINDS, formats_of, render_document
from explain.render.i18n import translate
from tests.conftest import FIXTURES

LANGS = ("en", "de", "ja", "fr", "es")
# Keras's own counts for the seed article's model (the fixture's summary, from a real Keras run)
SEED = json.loads((FIXTURES / "specs" / "seed_cnn.expected.json").read_text())
DENSE_2 = next(layer["params"] for layer in SEED["layers"] if layer["name"] == "dense_2")
# what each kind of document must say in every format it has
WANTED = {
    "derivation": [SEED["total"], DENSE_2],
    # 512 inputs × 128 units + 128 biases, in TeX (both formats the layer has write its formula so)
    "layer": [rf"512 \times 128 + 128 = {DENSE_2:,}".replace(",", "{,}")],
    "layers": ["Linear", "Conv2d", "LSTM"],  # the reference for PyTorch names torch.nn's classes
    "check": [DENSE_2],  # the count the worksheet's wrong dense_2 claim is judged against
    "exercise": ["VARIANT", "dense"],  # the variant's id; no count (tests/test_exercise.py)
    "solution": ["VARIANT", SEED["total"], DENSE_2],
}


@pytest.fixture(scope="module")
def subjects():
    model = load("example:seed-cnn")
    return {"derivation": ({"subject": model}), "layer": {"subject": model.node("dense_2"), "model": model},
            "layers": {"subject": None, "framework": "pytorch"},
            "check": {"subject": check_file(str(FIXTURES / "worksheets" / "seed_worksheet.yaml"))},
            "exercise": {"subject": _assignment()}, "solution": {"subject": _assignment()}}


def _assignment():
    from explain.exercise import read_spec
    from explain.exercise.sheet import Assignment
    from explain.exercise.variants import make_variant
    return Assignment(make_variant(read_spec("example:seed-cnn")))


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("format", FORMATS)
def test_every_kind_renders_in_its_formats_and_refuses_the_others(subjects, kind, format):
    options = dict(subjects[kind])
    subject = options.pop("subject")
    if format in formats_of(kind):
        out = render_document(kind, subject, format=format, **options)
        for wanted in WANTED[kind]:
            wanted = subject.variant.id if wanted == "VARIANT" else wanted
            if isinstance(wanted, int):  # Keras's count, as JSON writes it or in the locale's format
                assert (str(wanted) if format == "json" else f"{wanted:,}") in out, (kind, format, wanted)
            else:
                assert wanted in out, (kind, format, wanted)
    else:
        with pytest.raises(ExplainError, match=f"not '{format}'"):
            render_document(kind, subject, format=format, **options)


def test_unknown_kind_format_or_language_is_one_error(subjects):
    model = subjects["derivation"]["subject"]
    for kind, lang, format in (("quiz", "en", "markdown"), ("derivation", "xx", "markdown"),
                               ("derivation", "en", "pdf")):
        with pytest.raises(ExplainError) as e:
            render_document(kind, model, lang=lang, format=format)
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("lang", LANGS[1:])
def test_text_summary_is_in_the_readers_language(subjects, lang):
    text = render_document("derivation", subjects["derivation"]["subject"], lang=lang, format="text")
    for message in ("Layer (type)", "Output Shape", "Connected to", "Total params: %(count)s (%(memory)s)",
                    "Trainable params: %(count)s (%(memory)s)"):
        assert translate(lang, message) != message, (lang, message)
    for message in ("Layer (type)", "Output Shape", "Param #"):
        assert translate(lang, message) in text
    head = translate(lang, "Trainable params: %(count)s (%(memory)s)").split("%(")[0]
    assert head in text and "Trainable params" not in text


@pytest.mark.parametrize("lang", LANGS[1:])
@pytest.mark.parametrize("format", ["text", "markdown", "latex"])
def test_check_sheet_has_no_english_sentence(subjects, lang, format):
    text = render_document("check", subjects["check"]["subject"], lang=lang, format=format)
    for english in ("Feedback on the hand calculation", "claims correct", "The bias has one entry",
                    "parameters", "Model:"):
        assert english not in text, (lang, format, english)
    assert translate(lang, "Feedback on the hand calculation") in text


@pytest.mark.parametrize("lang", ["en", "fr", "ja"])
def test_the_environments_messages_are_jinjas_newstyle_gettext(lang):
    """The environments answer ``_``, ``gettext``, ``ngettext``, ``pgettext`` and ``npgettext``
    without Jinja's context calls (i18n._newstyle); the text is what Jinja's own newstyle
    callables give for the same catalog: placeholders filled, ``num`` and ``context`` by default,
    ``%%`` a percent sign, in templates and in ``{% trans %}`` blocks."""
    import jinja2

    from explain.render.escape import message_escape
    from explain.render.i18n import environment, escape_message, translations
    ours = environment(lang, "markdown")
    jinjas = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=False)
    escape, catalog = message_escape("markdown", lang), translations(lang)
    jinjas.install_gettext_callables(  # type: ignore[attr-defined]
        lambda m: escape_message(catalog.gettext(m), escape),
        lambda s, p, n: escape_message(catalog.ngettext(s, p, n), escape), newstyle=True,
        pgettext=lambda c, m: escape_message(catalog.pgettext(c, m), escape),
        npgettext=lambda c, s, p, n: escape_message(catalog.npgettext(c, s, p, n), escape))
    source = ('{{ _("Total: %(total)s parameters.", total="1,234") }}|{{ _("Share") }}|'
              '{{ _("%(layer)s (%(kind)s)", layer="`a`", kind="Dense") }}|{{ gettext("100%%") }}|'
              '{{ ngettext("%(num)d layer", "%(num)d layers", 3) }}|{{ pgettext("compute", "Total") }}|'
              '{{ npgettext("x", "%(num)d block", "%(num)d blocks", 1) }}|'
              '{% trans n=2 %}{{ n }} block{% pluralize %}{{ n }} blocks{% endtrans %}|'
              '{% trans %}50%% of it{% endtrans %}')
    assert ours.from_string(source).render() == jinjas.from_string(source).render()
    assert "%(" not in ours.from_string(source).render()
