"""The compute and training-memory sections read as a lecturer would publish them: every symbol a
sentence names is math and defined, each unit stated, every layer numbered, and the sentences
true of the layer they describe (reviewers' findings on the seed CNN's derivation)."""
from __future__ import annotations

import re

import pytest

import explain
from explain.importers.hf_config import load_hf_config
from explain.render import render
from tests.conftest import FIXTURES, require_module
from tests.render_helpers import compile_latex, compute_layers, pdf_text, require_tool

COUNT = ("params", "compute", "memory")


@pytest.fixture(scope="module")
def seed_md(seed_compute_md) -> str:
    return seed_compute_md("en")


def test_activation_cost_is_stated_per_element(seed_md):
    """ReLU counts as one operation per output element, softmax as three (exp, sum, divide);
    never a bare "(1)"."""
    section = compute_layers(seed_md)
    # en reviewer, round 8: "the activation relu as one operation" read as a second object
    assert ("For each output element, $O$ counts one addition for the bias and one operation for "
            "the activation `relu`.") in section
    assert "`relu` as one operation" not in section
    assert "three operations for the activation `softmax`: the exponential" in section
    assert "(1)" not in section and "(3)" not in section


def test_symbols_are_a_where_list_right_after_the_formula(seed_md):
    """conv2d_1: the equation, then "with" and one item per symbol, then the note on O."""
    first = compute_layers(seed_md).split("#### 2.")[0]
    where = first.index("$$\n\nwith\n\n- $H_{\\text{out}}$: output height\n- $W_{\\text{out}}$: output width\n")
    assert where < first.index("$O$ counts")


def test_every_layer_is_numbered_in_the_compute_section(seed_md):
    """The seed CNN's 18 layers are 1 … 18 in the layer-by-layer compute, the later dropouts in
    one line each that names the first."""
    section = compute_layers(seed_md)
    numbers = [int(n) for n in re.findall(r"^#### (\d+)\. ", section, re.M)]
    assert numbers == list(range(1, 19))
    # round 13 (all reviewers): a short entry's heading has the level of a full entry's (it was one
    # deeper, so layer 2 nested under layer 1 in every outline); round 11: a heading, not a bold line
    assert "\n#### 8. `dropout_2` (Dropout)\n\nNo MACs and no other operations, as in layer 4, `dropout_1`." in section
    assert not re.search(r"^#{5,} ", seed_md, re.M)
    params = seed_md[seed_md.index("## Derivation, layer by layer"):seed_md.index("## Total")]
    assert [int(n) for n in re.findall(r"^### (\d+)\. ", params, re.M)] == list(range(1, 19))
    assert not re.search(r"^#### ", params, re.M)


def test_letters_in_sentences_are_math_and_defined(seed_md):
    assert "the MACs column gives its multiply-accumulate operations and the column $O$ its other operations" in seed_md
    # round 13 (en): P named before M, not explained after it
    assert "16\u00a0bytes per parameter), the model states of the $P$ trainable parameters take $M_{\\text{states}}$ bytes:" in seed_md
    # round 9 (en): N_act is defined before the equation that uses it
    assert ("With $N_{\\text{act}} = 5{,}288{,}649$ activation values stored per sample, a batch of $B$ samples "
            "takes $A$ bytes:\n\n$$\nA = 2 \\cdot N_{\\text{act}}") in seed_md
    assert "Here $N_{\\text{act}}$" not in seed_md
    # a letter standing alone in a sentence outside math: none of O, A, B, M, P, N, D
    prose = re.sub(r"\$[^$]*\$", "", re.sub(r"\$\$.*?\$\$", "", seed_md, flags=re.S))
    prose = "\n".join(line for line in prose.splitlines() if not line.startswith("|"))
    assert re.findall(r".{0,30}(?<![\w`])(?:[OBMPND]|A(?= bytes))(?![\w`]).{0,30}", prose) == []


def test_training_compute_states_its_unit(seed_md):
    """C_step is in FLOPs, for one sample and one training step: 3 × 2 × 813,689,984 MACs
    (the seed CNN's forward MACs, derived by hand in tests/test_compute.py); C_train is left to
    Kaplan et al.'s whole run on D tokens."""
    # review 31 (de 2, ja 2): the colon leads to C_step, the formula under it, and the sentence
    # does not start with "So" after the sentence on the first layer's saving
    assert ("On a batch of $B$ samples a training step costs $B \\cdot C_{\\text{step}}$ FLOPs; for one "
            "sample it costs $C_{\\text{step}}$:\n\n$$\nC_{\\text{step}} \\approx") in seed_md
    assert "So training costs" not in seed_md


def test_dense_names_positions_only_where_there_are_several():
    """A Dense on a flat vector is applied once: no "at every position"; on a (5, 8) sequence it is
    applied at n_pos = 5 positions, 5 × 8 × 4 = 160 MACs (by hand)."""
    flat = render(explain.load("example:seed-cnn"), lang="en", format="markdown", count=("compute",))
    assert "at every position" not in compute_layers(flat)
    seq = explain.load({"name": "seq", "input": [5, 8], "layers": [{"Dense": {"units": 4}}]})
    assert seq.macs == 5 * 8 * 4
    text = render(seq, lang="en", format="markdown", count=("compute",))
    assert "- $n_{\\text{pos}}$: number of positions the layer is applied at" in text


def test_compute_heading_stays_with_its_table_in_the_german_pdf(tmp_path):
    """The heading of the layer-by-layer compute, its sentence and the first table row share a
    page (needspace before the heading; the table is a longtable that may continue)."""
    require_tool("lualatex")
    tex = render(explain.load("example:seed-cnn"), lang="de", format="latex", count=COUNT)
    # round 14 (de): the 18 rows (and the Total) on one page, not three rows at a page's foot
    assert tex.index("\\needspace{28\\baselineskip}") < tex.index("Rechenaufwand Schicht für Schicht")
    pages = pdf_text(compile_latex(tex, tmp_path, "seed")).split("\f")
    heading = next(i for i, p in enumerate(pages) if "Rechenaufwand Schicht für Schicht" in p)
    assert "conv2d_1 (Conv2D)" in pages[heading] and "dense_3 (Dense)" in pages[heading]
    assert "813.689.984" in pages[heading].split("Rechenaufwand Schicht für Schicht")[1]
    # round 18 (es: a third of a page left empty when the heading, three paragraphs and the table
    # were kept together): the heading keeps its first paragraph, the table the paragraph before it
    states = next(i for i, p in enumerate(pages) if "Modellzustände: Parameter" in p)
    assert "ZeRO-Artikel" in pages[states].split("Modellzustände: Parameter")[1]
    table = next(i for i, p in enumerate(pages) if "Adam, AdamW" in p)
    assert "Adam und AdamW speichern zwei" in pages[table]


def test_json_names_the_views_the_activation_estimate_leaves_out():
    import json
    data = json.loads(render(explain.load("example:seed-cnn"), format="json", count=("memory",)))
    mixed = data["training_memory"]["activations"]["mixed"]
    assert mixed["views"] == ["flatten_1"] and "flatten_1" not in mixed["layers"]


def test_flatten_says_it_only_changes_the_shape(seed_md):
    """Flatten computes nothing in training either: no "at inference" for it."""
    flatten = compute_layers(seed_md).split("#### 13.")[1].split("####")[0]
    # review 37 (es): the values keep their order, only the shape changes (a Permute moves them)
    assert "This layer only changes the shape of its input; the values keep their order. It does no arithmetic" in flatten
    assert "inference" not in flatten


def test_flops_say_they_leave_out_the_other_operations(seed_md):
    """FLOPs = 2 × MACs; the other operations (by hand: conv 2 per output element with bias and
    ReLU, 32·(2·256² + 2·254² + 2·84² + 2·82² + 2·41² + 2·39²); pooling 3²·84²·32 + 2²·41²·32
    + 2²·19²·32; dense 2·512 + 2·128 + 4·9) are named with their total and kept out."""
    other = 32 * 2 * (256**2 + 254**2 + 84**2 + 82**2 + 41**2 + 39**2) \
        + 9 * 84**2 * 32 + 4 * 41**2 * 32 + 4 * 19**2 * 32 + 2 * 512 + 2 * 128 + 4 * 9
    # round 14 (en): the symbol is introduced with what it counts, not in the middle of a list
    assert f"they are counted separately below, as the other operations $O$ ({other:,} for this model), and " \
           "are not included in these FLOPs." in seed_md
    assert "| Layer (type) | MACs | Other operations $O$ |" in seed_md


def test_flops_are_a_count_not_a_rate(seed_md):
    """FLOPs here are a number of operations (2 × 813,689,984 by hand: the MACs of the table);
    students read "FLOPs" as FLOP/s, so the sentence tells the two apart."""
    # round 8 (ja, es): the distinction is a sentence of its own after the formula, not a
    # parenthesis inside the sentence that leads to it
    assert "gives the number of floating-point operations (FLOPs):\n" in seed_md  # en reviewer, round 9
    assert ("$$\n\nFLOPs are a number of operations, not to be confused with FLOP/s, operations per "
            "second. Tools count differently:") in seed_md
    macs = 3 * 3 * 3 * 32 * 256**2 + 3 * 3 * 32 * 32 * (254**2 + 84**2 + 82**2 + 41**2 + 39**2) \
        + 11552 * 512 + 512 * 128 + 128 * 9
    assert f"\\text{{FLOPs}} = 2 \\times {macs:,}".replace(",", "{,}") in seed_md


def test_training_step_subtracts_the_first_layers_input_gradient(seed_md):
    """3 × forward counts a gradient with respect to the input that nothing needs: conv2d_1
    (3·3·3·32·256² = 56,623,104 MACs, by hand) has no trained layer before it, so C_step is
    3 × 2 × 813,689,984 − 2 × 56,623,104 = 4,768,893,696 FLOPs, the saving said and subtracted in
    the formula (review 31 en 2, de 2, fr 4, ja 2, es 3: "slightly less", then 3× without it)."""
    first = 3 * 3 * 3 * 32 * 256**2
    assert first == 56_623_104
    assert 3 * 2 * 813_689_984 - 2 * first == 4_768_893_696
    # conv2d_1 is the model's first layer: no "layer before" it to name (review 33 en 5, fr 4)
    assert ("each about as much work as the forward pass. `conv2d_1` is the first layer and the model's input "
            "needs no gradient, so the backward pass does not compute the gradient with respect to its input; "
            "that saves about one forward pass of the layer, 56,623,104 MACs (two FLOPs each). On a batch of") in seed_md
    assert "No layer before" not in seed_md
    assert (r"C_{\text{step}} \approx 3 \times 1{,}627{,}379{,}968 - 2 \times 56{,}623{,}104 = 4{,}768{,}893{,}696"
            in seed_md)
    assert "slightly less" not in seed_md


def test_skipped_input_gradient_is_one_forward_pass_in_torch():
    """The rule behind the subtraction, against PyTorch's own count: FlopCounterMode counts the
    backward of a Conv2d and of a Linear; without a gradient for the input it counts exactly
    2 × (the layer's forward MACs) FLOPs fewer (seed CNN's conv2d_1 shape; a Linear 7 → 5 at 3
    positions)."""
    require_module("torch")
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    def backward_flops(layer: "torch.nn.Module", shape: tuple, input_grad: bool) -> int:
        x = torch.randn(*shape, requires_grad=input_grad)
        y = layer(x)
        with FlopCounterMode(display=False) as counter:
            y.sum().backward()
        return counter.get_total_flops()

    for layer, shape, macs in ((torch.nn.Conv2d(3, 32, 3, padding=1), (1, 3, 256, 256), 56_623_104),
                               (torch.nn.Linear(7, 5), (1, 3, 7), 7 * 5 * 3)):
        assert backward_flops(layer, shape, True) - backward_flops(layer, shape, False) == 2 * macs


def test_first_recurrent_layer_names_its_saving_without_subtracting_it():
    """An LSTM that comes first (torch_lstm.yaml: no embedding before it) still needs the gradients
    through its recurrent weights, so only part of its work is skipped: the sentence says the step
    costs slightly less and that the estimate does not subtract it; C_step stays 3 × forward."""
    model = explain.load(FIXTURES / "specs" / "torch_lstm.yaml")
    assert model.nodes[0].layer.role == "recurrent"
    text = render(model, lang="en", format="markdown", count=("compute",))
    # why the saving is not subtracted, said (review 33 en 5, fr 4, ja 5)
    assert ("`lstm` is the first layer and the model's input needs no gradient, so the backward pass does not "
            "compute the gradient with respect to its input. The layer is not a single product of its input with "
            "weights, so this saves only part of its backward pass; the estimate below does not subtract it.") in text
    assert re.search(r"C_\{\\text\{step\}\} \\approx 3 \\times [\d{},]+ = ", text)


@pytest.mark.parametrize("config", ["llama-2-7b.json", "gpt2.json"])
def test_training_step_after_an_embedding_claims_no_saving(config):
    """A transformer's first layer is a trained embedding (no MACs): the first block's projections
    need the gradient with respect to their input, so no layer skips it and the "slightly less"
    sentence is not said; one sample is one sequence of T tokens (review 29: ja 2, en 2, de 2)."""
    import json
    cfg = json.loads((FIXTURES / "hf" / config).read_text())
    t = cfg.get("max_position_embeddings", cfg.get("n_positions"))
    model = explain.load(FIXTURES / "hf" / config)
    assert model.nodes[0].macs == 0 and model.nodes[0].params != 0
    for lang, absent in (("en", "needs no gradient"), ("de", "braucht keinen Gradienten"),
                         ("fr", "n’a pas besoin du gradient"), ("ja", "勾配が不要"), ("es", "no necesita el gradiente")):
        text = render(model, lang=lang, format="markdown", count=("compute",))
        assert absent not in text
    en = render(model, lang="en", format="markdown", count=("compute",))
    assert (f"On a batch of $B$ samples a training step costs $B \\cdot C_{{\\text{{step}}}}$ FLOPs; for one "
            f"sample, a sequence of $T = {t:,}$ tokens, it costs").replace(f"{t:,}", f"{t:,}".replace(",", "{,}")) in en


def _hand_per_token(cfg: dict) -> tuple[int, int, int, int]:
    """(N, attention MACs per token, LM head MACs per token, T) from a config, by hand:
    N = 2·d·L·(2d + d_ff) with Kaplan's d_ff (GPT-2: 4d; Llama's gated FFN: 3f/2, three d × f
    matrices); per token and block QKᵀ and the weighted sum of V take T·d MACs each; the LM head
    d·V."""
    d = cfg.get("hidden_size", cfg.get("n_embd"))
    layers = cfg.get("num_hidden_layers", cfg.get("n_layer"))
    t = cfg.get("max_position_embeddings", cfg.get("n_positions"))
    d_ff = cfg["intermediate_size"] * 3 // 2 if "intermediate_size" in cfg else 4 * d
    return 2 * d * layers * (2 * d + d_ff), 2 * layers * t * d, d * cfg["vocab_size"], t


@pytest.mark.parametrize("config, six_n, step_per_token", [
    ("llama-2-7b.json", 38_856_032_256, 46_084_915_200),
    ("gpt2.json", 509_607_936, 854_438_400)])
def test_step_per_token_is_six_n_plus_what_n_leaves_out(config, six_n, step_per_token):
    """C_step / T = 6 × (exact MACs per token) and 6N differ by 6 × (the attention's products over
    T positions + the LM head): the figures of review 29 (fr: 46,084,915,200 vs 38,856,032,256 for
    Llama 2 7B) recomputed by hand from the fixture config; n_ctx is the document's T."""
    import json
    cfg = json.loads((FIXTURES / "hf" / config).read_text())
    n, attention, head, t = _hand_per_token(cfg)
    assert 6 * n == six_n and 6 * (n + attention + head) == step_per_token
    text = render(explain.load(FIXTURES / "hf" / config), lang="en", format="markdown", count=("compute",))
    fmt = lambda v: f"{v:,}".replace(",", "{,}")  # noqa: E731
    assert f"C_{{\\text{{step}}}} / T \\approx 6 \\times {fmt(n + attention + head)} = {fmt(step_per_token)}" in text
    # review 31 (en 6, de 3, ja 3a): N is a number of parameters; it is 6N that leaves the MACs out
    # review 33 (ja 3, textS 4): 6N is FLOPs, the rest MACs; each unit where it belongs
    assert (f"That is {step_per_token - six_n:,} FLOPs more than $6N = {fmt(six_n)}$: per token, the exact count "
            f"has {attention + head:,} MACs more than the $N$ MACs (one per parameter) that $6N$ assumes, and a "
            "training step counts each MAC as six FLOPs (three times the forward pass, two FLOPs per MAC). "
            "In MACs per token, they are:") in text
    assert step_per_token - six_n == 6 * (attention + head)
    assert "$N$ leaves out" not in text
    # what N does not count: the layers outside the blocks (the embeddings, the final norm, the LM
    # head), from the config: Llama 2 7B 2·V·d + d = 262,148,096 (review 33 en 4, ja 3)
    if config == "llama-2-7b.json":
        assert 2 * cfg["vocab_size"] * cfg["hidden_size"] + cfg["hidden_size"] == 262_148_096
        assert ("$N$ does not count the layers outside the blocks, listed above: 262,148,096 parameters "
                "together. Kaplan et al. count the four attention matrices") in text
    # Kaplan's Table 1 has one context term, 2·n_layer·n_ctx·d_attn FLOPs per token; the exact count
    # has QKᵀ and the weighted sum of V, each T·d MACs a block, so 2 × (2·L·T·d) FLOPs: the
    # difference to C_forward is the other half of that and the LM head, 2·L·T·d + 2·d·V (by hand);
    # said without reading one product into the term (review 31 en 5, de 3, fr 2, ja 3d, es 5)
    # the difference after the number it comes from (review 36 en 14, ja 14)
    assert (f"Counted exactly, a token takes on average {n + attention + head:,} MACs, that is, in FLOPs:\n\n$$\n"
            f"2 \\times {fmt(n + attention + head)} = {fmt(2 * (n + attention + head))}\n$$\n\n"
            f"That is {2 * (n + attention + head) - (2 * n + attention):,} FLOPs more than $C_{{\\text{{forward}}}}$.") in text
    assert 2 * (n + attention + head) - (2 * n + attention) == attention + 2 * head
    assert ("Kaplan et al.'s Table 1 counts the attention over the context as a single term, "
            "$2\\, n_{\\text{layer}}\\, n_{\\text{ctx}}\\, d_{\\text{attn}}$ FLOPs per token in the forward "
            "pass, which they call context-dependent. The exact count has two products there") in text
    # why twice: every query over all T keys, also the masked ones; over the unmasked ones, on average
    # (T + 1)/2 ≈ T/2, 2 products × T/2 × d MACs = T·d MACs = 2·T·d FLOPs per block, Kaplan's term
    # (review 33 en 1, fr 3)
    assert ("counts each over all $n_{\\text{ctx}}$ positions, also those the causal mask hides: twice Kaplan "
            "et al.'s term. Over the positions the mask leaves, about half on average, the two products give "
            "Kaplan et al.'s term.") in text
    assert "Kaplan's attention term counts the scores" not in text
    assert "On average per token of a sample, a training step takes, from the exact count of MACs:" in text
    assert (f"- the products $QK^{{\\top}}$ and the weighted sums of the values over the $T$ positions in the "
            f"{cfg.get('num_hidden_layers', cfg.get('n_layer'))} blocks: {attention:,}\n- `lm_head`: {head:,}\n") in text
    assert f"at the context length $n_{{\\text{{ctx}}}} = T = {fmt(t)}$" in text
    for lang, word in (("de", "Values"), ("fr", "sommes pondérées"), ("ja", "重み付き和"), ("es", "sumas ponderadas")):
        assert word in render(explain.load(FIXTURES / "hf" / config), lang=lang, format="markdown", count=("compute",))


def test_max_pooling_says_whose_comparison_is_fewer(seed_md):
    """The maximum of the 3 × 3 = 9 values of a window takes 8 comparisons: one fewer than the 9
    operations counted, for each output element (es reviewer: "es una comparación menos" had no
    referent)."""
    pool = compute_layers(seed_md).split("#### 3.")[1].split("####")[0]
    # round 11 (fr): "n values, n − 1 comparisons" was math; round 14 (de, ja, es): but n is the input
    # size of the output-size formula, so the sentence says it of the window without a symbol
    # round 15 (all): the window's own symbols, k_h·k_w values take k_h·k_w − 1 comparisons
    assert ("(strictly, the maximum of $k_{h} \\cdot k_{w}$ values needs $k_{h} \\cdot k_{w} - 1$ comparisons, "
            "one operation fewer per output element)") in pool and "$n$" not in pool
    assert 9 * 225_792 == 2_032_128
    assert "3 \\times 3 \\times 225{,}792 = 2{,}032{,}128" in pool


@pytest.mark.parametrize("lang,present,absent", [
    ("de", "die Exponentialfunktion, das Aufaddieren zur Summe und", "ihre Addition zur Summe"),
    # round 17 (de): one sentence with the columns in brackets, not "gibt … an und in der Spalte …"
    ("de", "Die Tabelle nennt je Schicht und Beispiel die Multiply-Accumulate-Operationen (Spalte MACs) und "
           "die weiteren Operationen (Spalte $O$: elementweise Arbeit", "Für jede Schicht und ein Beispiel: die"),
    # round 13 (es): the pass named twice and "aproximadamente" once, the backward pass "la retropropagación";
    # round 14: the glossary's «pasada hacia adelante»
    ("es", "(pasada hacia adelante y hacia atrás) cuesta aproximadamente el triple que la pasada hacia "
           "adelante sola: la retropropagación calcula dos gradientes", "propagación hacia delante"),
    # round 13 (de): a dense layer has weights, "Kernelgewicht" is Keras jargon
    ("de", "eine Multiply-Accumulate-Operation (MAC) je Gewicht, also je Eintrag der Gewichtsmatrix.", "Kernelgewicht."),
    # round 19 (es): the activation functions, not «las activaciones» (the stored values of the glossary)
    # review 36: the seed CNN's own kinds of work (it has no normalization)
    ("es", "Las sumas del sesgo, las funciones de activación, el softmax y la agrupación no son MAC",
     "Las sumas del sesgo, las activaciones"),
    # round 19 (es): no sentence starts with the bare symbol O (it reads as the conjunction «o»)
    ("es", "La cantidad $O$ cuenta, por cada elemento de salida, una suma para el sesgo", "\n$O$ cuenta"),
    ("es", "(en rigor, el máximo de $k_{h} \\cdot k_{w}$ valores requiere $k_{h} \\cdot k_{w} - 1$ comparaciones: "
           "una operación menos por elemento de salida)", "es una comparación menos"),
    ("fr", "l’entrée de chaque échantillon (ses cartes de caractéristiques, par exemple)", "chaque exemple"),
    ("fr", "Les FLOP sont un nombre d’opérations, à ne pas confondre avec les FLOP/s", "on obtient le nombre de FLOP :"),
    ("ja", "（厳密には、$k_{h} \\cdot k_{w}$ 個の値の最大値は $k_{h} \\cdot k_{w} - 1$ 回の比較で求まるので、",
     "ウィンドウの要素数より 1 回少ない"),
    ("fr", "le maximum de $k_{h} \\cdot k_{w}$ valeurs demande $k_{h} \\cdot k_{w} - 1$ comparaisons, soit une "
           "opération de moins", "de $n$ valeurs"),
    ("de", "genügen für das Maximum von $k_{h} \\cdot k_{w}$ Werten $k_{h} \\cdot k_{w} - 1$ Vergleiche",
     "von $n$ Werten"),
])
def test_compute_wording_of_the_round_7_reviewers(lang, present, absent, seed_compute_md):
    """One term for a sample in French (échantillon, as in the compute sentences), German and
    Spanish phrasing the native reviewers asked for."""
    text = seed_compute_md(lang)
    assert present in text and absent not in text


def test_pooling_window_symbols_are_defined(seed_md):
    pool = compute_layers(seed_md).split("#### 3.")[1].split("####")[0]
    assert "- $k_{h}$: window height\n- $k_{w}$: window width\n" in pool


def test_model_states_cite_once_and_name_the_apis_in_code(seed_md):
    states = seed_md[seed_md.index("### Model states"):seed_md.index("| Optimizer")]
    assert states.count("Rajbhandari") == 1 and "(Micikevicius et al., 2018)" in states
    assert "Keras (`mixed_float16`) and PyTorch (`torch.autocast`)" in states


def test_total_training_memory_line(seed_md):
    """Adam, mixed precision: 16 bytes × 6,029,097 = 96.5 MB; activations 2 bytes × 5,288,649
    values per sample = 10.6 MB (hand counts). The total is M + A, not the per-sample part."""
    params = 896 + 5 * 9248 + (11552 * 512 + 512) + (512 * 128 + 128) + (128 * 9 + 9)
    assert params == 6_029_097 and round(16 * params / 1e6, 1) == 96.5
    outputs = 32 * (256**2 + 254**2 + 2 * 84**2 + 84**2 + 82**2 + 2 * 41**2 + 41**2 + 39**2
                    + 2 * 19**2) + 2 * 512 + 2 * 128 + 9  # dropouts copy; flatten is a view
    assert outputs == 5_288_649 and round(2 * outputs / 1e6, 1) == 10.6
    # round 8 (fr, de): "plus B × 10.6 MB" broke after the ×; per sample in words instead
    # round 11 (en): why M + A holds for Keras/PyTorch mixed precision too: with Adam, float32
    # weights and gradients 4 + 4 + 8 = 16 bytes, ZeRO's fp16 copy 2 + 2 + 12 = 16 bytes
    assert 4 + 4 + 8 == 2 + 2 + 12 == 16
    # round 11 (ja, en): the 16 bytes per parameter describe M, not M + A; "not counting", not "without"
    assert ("In total, training with Adam in mixed precision needs about $M_{\\text{states}} + A$ bytes: 96.5\u00a0MB (16\u00a0bytes "
            "per trainable parameter under both conventions of the table), plus 10.6\u00a0MB per sample in the "
            "batch, not counting the framework's own buffers and workspace.") in seed_md


def test_model_states_come_in_three_paragraphs_and_the_size_once(seed_md):
    """Round 7: one block of eight sentences (ja) split before mixed precision and before the
    optimizers; whole clauses for the optimizers (en); the bytes M = 96,465,552 stand in the
    equation and are not repeated in the sentence after it (fr); dtypes set as code (de)."""
    states = seed_md[seed_md.index("### Model states"):seed_md.index("| Optimizer")]
    paragraphs = [p for p in states.split("\n\n")[1:] if p.strip()]
    assert [p.split(" ")[0] for p in paragraphs] == ["Training", "In", "Plain"]
    assert paragraphs[2].startswith("Plain SGD keeps no state of its own; SGD with momentum keeps one "
                                    "value per parameter (4\u00a0bytes); Adam and AdamW keep two")
    # ja reviewer, round 8: Micikevicius et al. (2018) train in float16; bfloat16 came later
    assert "(`float16` in the paper, today also `bfloat16`; 2\u00a0bytes each)" in paragraphs[1]
    assert 16 * 6_029_097 == 96_465_552 and round(96_465_552 / 2**20, 1) == 92.0
    assert "$$\n\nThat is 96.5\u00a0MB (92.0\u00a0MiB).\n" in seed_md
    assert "and twice as much in `float32`" in seed_md


@pytest.mark.parametrize("lang,present,absent", [
    ("de", "hinzu kommen Puffer und temporärer Zwischenspeicher (Workspace) des Frameworks", "Arbeitsspeicher"),
    ("de", "in `float32` doppelt so viel", "in float32"),
    # review 37 (ja): every paper cited alike, Kaplan ら（2020）, Korthikanti ら（2022）
    ("ja", "Rajbhandari ら（2020）の ZeRO の論文では、これらを「モデルの状態」と呼びます。", "Rajbhandari ら、2020 年"),
    ("ja", "（Adam ではパラメータごとに 4\u00a0+\u00a04\u00a0+\u00a08\u00a0=\u00a016\u00a0バイト）", "（Adam：4"),
    ("ja", "計算時間と活性値のメモリです", "計算時間と活性値（アクティベーション）"),
    ("fr", "Soit 96,5\u202fMo (92,0\u00a0Mio).", "octets, 96,5"),
    # round 19 (fr): the two amounts first, the parenthesis after them
    ("fr", "octets, soit 96,5\u202fMo plus 10,6\u202fMo par échantillon du lot (16\u00a0octets par paramètre "
           "entraînable dans les deux décomptes du tableau), sans compter", "$B$ ×"),
    # round 11 (fr): SGD spelled out once, feminine; (de) no "reale Frameworks", ZeRO's term as a clause
    ("fr", "La descente de gradient stochastique (SGD) simple n’a pas d’état propre\u202f; avec momentum, elle garde",
     "Le SGD simple"),
    ("de", "In der Praxis speichern die Frameworks etwas mehr oder weniger:", "Reale Frameworks"),
    ("de", "Rajbhandari et al. (2020) nennen dies im ZeRO-Artikel die Modellzustände (model states).", "das, was"),
])
def test_memory_wording_of_the_round_7_reviewers(lang, present, absent, seed_compute_md):
    text = seed_compute_md(lang)
    assert present in text and absent not in text


@pytest.mark.parametrize("lang,label", [("fr", "\\text{FLOP} = 2"), ("es", "\\text{FLOP} = 2"),
                                        ("en", "\\text{FLOPs} = 2")])
def test_formula_labels_follow_the_language(lang, label):
    """French and Spanish acronyms take no plural s, in the formulas too."""
    text = render(explain.load("example:seed-cnn"), lang=lang, format="markdown", count=("compute",))
    assert label in text
    assert ("\\text{MAC} &=" in text) == (lang != "en")


def test_memory_table_groups_its_columns_by_precision_in_latex():
    """Two heading levels (float32 | mixed precision) and cells at their natural width (r), so a
    formula such as 2 + 2 + (4 + 8) = 16 keeps its spaces instead of being squeezed."""
    tex = render(explain.load("example:seed-cnn"), lang="ja", format="latex", count=("memory",))
    assert "\\begin{tabular}{@{}lrrrr@{}}" in tex
    # round 9 (en): the mixed-precision columns follow ZeRO's accounting, not Keras's or autocast's
    assert "\\multicolumn{2}{c}{\\texttt{float32}} & \\multicolumn{2}{c}{混合精度（ZeRO の数え方）}" in tex
    # round 9 (ja): a header that does not break inside バイト; round 14 (ja): 「1 パラメータあたりのバイト数」,
    # not the calque バイト数／パラメータ, breaking between its words only
    assert "\\mbox{1 パラメータ}\\allowbreak\\mbox{あたりの}\\allowbreak\\mbox{バイト数}" in tex and "／" not in tex


@pytest.mark.parametrize("lang,heading", [("en", "## Parameter memory"), ("fr", "## Mémoire des paramètres"),
                                          ("de", "## Speicherbedarf der Parameter")])
def test_parameter_memory_is_not_taken_for_the_whole_memory(lang, heading, seed_compute_md):
    """Two sections called "Memory" and "Training memory" let a student read the float32
    parameters (6,029,097 × 4 bytes = 24.1 MB, hand count) as the whole inference memory (fr
    reviewer): the first heading says whose memory it is."""
    assert round(6_029_097 * 4 / 1e6, 1) == 24.1
    text = seed_compute_md(lang)
    assert f"\n{heading}\n" in text
    assert "\n## Memory\n" not in text


@pytest.mark.parametrize("lang,present,absent", [
    # es: "la función de activación relu como una operación" could read as bias + relu = one operation
    ("es", "una suma para el sesgo y una operación para la función de activación `relu`.", "`relu` como una operación"),
    # fr: "trois fois plus que" reads as ×4 for many readers
    ("fr", "coûte environ le triple de la propagation avant seule", "trois fois plus que"),
    # de: two subjects, plural verb; "Ableitungen" clashed with the document's "Herleitung"
    ("de", "Nicht gezählt werden die Eingabe des Modells und die Ausgabe einer Schicht", "Manche Ableitungen"),
    ("de", "Für manche Gradienten werden die Eingabe einer Schicht", "nicht gezählt wird die Ausgabe"),
    # ja: gradient checkpointing by its usual name; float16 in the 2018 paper, bfloat16 later
    ("ja", "活性値の再計算（勾配チェックポインティング）", "（チェックポインティング）"),
    # review 37 (ja): no sentences inside the parenthesis; the citation as the others
    ("ja", "論文では `float16` を使っていますが、現在は同じく 2\u00a0バイトの `bfloat16` も使われます。", "`float16` または `bfloat16`"),
    ("ja", "Micikevicius ら（2018）の混合精度学習では、パラメータと勾配を 16 ビット（2\u00a0バイト）で保持し", "どちらも 2\u00a0バイト）"),
    ("ja", "浮動小数点演算の回数（FLOP 数）は次のとおりです：", "FLOP 数。1 秒"),
    ("ja", "パラメータごとに", "1 パラメータの"),
])
def test_compute_wording_of_the_round_8_reviewers(lang, present, absent, seed_compute_md):
    text = seed_compute_md(lang)
    assert present in text and absent not in text


@pytest.mark.parametrize("lang", ["en", "de", "fr", "ja", "es"])
def test_flop_counters_are_named_in_code_and_not_said_to_skip_attention(lang):
    """fvcore and torch.utils.flop_counter.FlopCounterMode are code; FlopCounterMode has rules for
    matrix products, convolutions and scaled-dot-product attention, so "only for matrix products
    and convolutions" was false (ja reviewer, round 8)."""
    text = render(explain.load("example:seed-cnn"), lang=lang, format="markdown", count=("compute",))
    # round 24: the class and its module as two short pieces of code (the 39-character path split
    # after "torch.utils." in es/fr and stretched its line in en)
    assert "`fvcore`" in text and "`FlopCounterMode`" in text and "`torch.utils.flop_counter`" in text
    assert "`torch.utils.flop_counter.FlopCounterMode`" not in text
    assert " fvcore " not in text


def test_flop_counter_mode_counts_matrix_products_and_no_elementwise_work():
    """The sentence's claim, checked in PyTorch: FlopCounterMode counts 2 per MAC of a linear layer
    (2 × 2·3·4 for a batch of 2, 3 inputs, 4 outputs, by hand) and nothing for its bias add or a
    ReLU; a fused attention kernel without a rule (SDPA on the CPU) counts 0, so the sentence says
    "such as", not a closed list."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    x, weight, bias = torch.randn(2, 3), torch.randn(4, 3), torch.randn(4)
    with FlopCounterMode(display=False) as counter:
        torch.relu(torch.nn.functional.linear(x, weight, bias))
    assert counter.get_total_flops() == 2 * (2 * 3 * 4)
    text = render(explain.load("example:seed-cnn"), lang="en", format="markdown", count=("compute",))
    assert ("counts 2 FLOPs per MAC, but only for the operations it has rules for, such as matrix products and "
            "convolutions, and nothing for element-wise work.") in text
    assert "elementwise" not in text  # one spelling: element-wise


@pytest.mark.parametrize("singular", [True, False])
def test_views_are_named_where_the_rule_is_stated(singular):
    """The layers whose output is only a view are named in the sentence that states the rule
    ("(no copy; here: `flatten_1`)"); a separate sentence after the equation repeated the rule
    (reviewers, round 9)."""
    layers = [{"Conv2D": {"filters": 2, "kernel_size": 3}}, {"Flatten": {}}, {"Dense": {"units": 4}}]
    if not singular:
        layers += [{"Reshape": {"target_shape": [2, 2]}}]
    model = explain.load({"name": "v", "input": [6, 6, 1], "layers": layers})
    for lang in ("en", "de", "fr", "ja", "es"):
        text = render(model, lang=lang, format="markdown", count=("memory",))
        names = re.findall(r"`(flatten\w*|reshape\w*)`", text[text.index("float32"):])
        assert len(names) == (1 if singular else 2), (lang, names)
        assert "is not counted: it is only a view" not in text and "are not counted: they are only" not in text
    text = render(model, lang="en", format="markdown", count=("memory",))
    here = "`flatten`" if singular else "`flatten`, `reshape`"
    assert f"under a new shape (no copy; here: {here}); the model's input is not counted. Real frameworks may store" in text


def test_a_layer_without_macs_displays_only_its_other_operations(seed_md):
    """Pooling: "MACs = 0" stood centred far left of the long O line (en, ja reviewers, round 8);
    the sentence says it needs no MACs and the formula is O alone: 3·3 per output element of the
    84 × 84 × 32 output, 9 × 225,792 = 2,032,128 (by hand)."""
    pool = compute_layers(seed_md).split("#### 3.")[1].split("####")[0]
    assert 84 * 84 * 32 == 225_792 and 9 * 225_792 == 2_032_128
    assert "so it needs no MACs" in pool
    assert "$$\nO = k_{h} \\cdot k_{w} \\cdot N_{\\text{out}} = 3 \\times 3 \\times 225{,}792 = 2{,}032{,}128\n$$" in pool
    assert "aligned" not in pool and "\\text{MACs}" not in pool


@pytest.mark.parametrize("lang,present,absent", [
    ("en", "With these optimizers, mixed precision does not make the model states smaller; it saves compute "
           "time and activation memory.", "computing time"),
    # round 13 (ja): true of every optimizer of the table (8 = 8, 12 = 12, 16 = 16), so said of all
    ("ja", "表のとおり、どのオプティマイザでも、混合精度にしてもモデルの状態は小さくなりません", "Adam や AdamW では"),
    # round 14 (ja): the total first, then what it is made of (it was a garden-path sentence)
    ("ja", "約 $M_{\\text{states}} + A$ バイトが必要です。内訳は、モデルの状態 96.5\u00a0MB（学習可能なパラメータ 1 個あたり 16\u00a0バイト。表のどちらの数え方でも同じ）と、"
           "バッチの 1 サンプルあたり 10.6\u00a0MB の活性値です。", "バイト（表のどちらの数え方でも"),
    # M = 16·P is said only when every parameter is trainable: P is the number of trainable ones
    ("fr", "où $P$ est le nombre de paramètres entraînables\u00a0:", "où $P$ est le nombre de paramètres\u00a0:"),
    # review 37 (es): "momentum", the optimizer's name, not "momento", the statistical moment of Adam
    ("es", "SGD con momentum guarda un valor por parámetro", "SGD con momento"),
    ("de", "96,5\u00a0MB (16\u00a0Byte je Parameter, in beiden Zählweisen der Tabelle) und dazu",
     "je trainierbarem Parameter"),
    ("de", "| Byte/Parameter (gemischte Genauigkeit, ZeRO) | Modellzustände (gemischte Genauigkeit, ZeRO) |",
     "Zählung nach ZeRO"),
])
def test_memory_wording_of_the_round_11_reviewers(lang, present, absent, seed_compute_md):
    text = seed_compute_md(lang)
    assert present in text and absent not in text


def test_a_later_layer_with_the_same_formulas_gets_one_line(seed_md):
    """Round 11 (en): as the parameter part says "Same formula as layer 1", the compute part gives
    a later conv or dense layer only its numbers; ``--detail full`` keeps every formula block.
    conv2d_2: 3×3 kernels, 32 → 32 channels, 254×254 outputs; O: a bias add and a ReLU per output."""
    macs, other = 3 * 3 * 32 * 32 * 254 * 254, 2 * 32 * 254 * 254
    assert (macs, other) == (594_579_456, 4_129_024)
    section = compute_layers(seed_md)
    assert ("#### 2. `conv2d_2` (Conv2D)\n\nSame formulas as layer 1, `conv2d_1`: $\\text{MACs} = 3 \\times 3 "
            "\\times 32 \\times 32 \\times 254 \\times 254 = 594{,}579{,}456$; $O = 2 \\times 32 \\times 254 "
            "\\times 254 = 4{,}129{,}024$.") in section
    # dense_2: 512 × 128 MACs, 2 × 128 other operations; the 2×2 pooling of layer 7 has no MACs
    assert "Same formulas as layer 14, `dense_1`: $\\text{MACs} = 512 \\times 128 = 65{,}536$; $O = 2 \\times 128 = 256$." in section
    assert "Same formula as layer 3, `max_pooling2d_1`: $O = 2 \\times 2 \\times 53{,}792 = 215{,}168$." in section
    assert 82 // 2 * (82 // 2) * 32 == 53_792
    # in full: conv2d_1, dense_1 and dense_3 (softmax: 4 per output, another formula for O)
    assert section.count("\\begin{aligned}") == 3
    full = render(explain.load("example:seed-cnn"), lang="en", format="markdown", count=COUNT, detail="full")
    assert compute_layers(full).count("\\begin{aligned}") == 9 and "Same formulas as layer 1, `conv2d_1`: $" not in full
    # round 14: in full, a later layer's formulas are led in by what they share with the first
    assert "#### 2. `conv2d_2` (Conv2D)\n\nSame formulas as layer 1, `conv2d_1`:\n\n$$" in full


def test_every_layer_names_its_activation_in_the_parameter_part(seed_md):
    """Round 11 (en): "relu" first appeared in the compute section. The seed's spec gives its six
    convolutions and two hidden dense layers ``activation: relu`` and its output ``softmax``; each
    says so in its parameter entry (full or one line). A layer without one (``linear``, None) and an
    Activation layer (its sentence names the function) get no such line."""
    params = seed_md[seed_md.index("## Derivation, layer by layer"):seed_md.index("## Total")]
    entries = re.split(r"\n(?=### \d+\. )", params)[1:]  # a full entry or a one-line entry, both ###
    said = {e.split("`")[1]: re.findall(r"^Activation: `(\w+)`\.", e, re.M) for e in entries}
    relu = [f"conv2d_{i}" for i in range(1, 7)] + ["dense_1", "dense_2"]
    assert said == {name: (["relu"] if name in relu else ["softmax"] if name == "dense_3" else [])
                    for name in said} and len(said) == 18
    mlp = render(explain.load(FIXTURES / "specs" / "mlp_bn.yaml"), lang="en", format="markdown")
    # Dense(256, use_bias=False) has no activation, the Activation layer's sentence names relu
    assert mlp.count("Activation: `") == 1 and "Activation: `softmax`." in mlp


def test_memory_total_names_both_kinds_of_parameter_when_some_are_frozen(seed_compute_md):
    """M = 2·P + 14·P_train (ZeRO, Adam, mixed precision) is 16 bytes per trainable parameter and
    2 per non-trainable one; the closing sentence says both when the model has non-trainable
    parameters. mlp_bn by hand: Dense(784→256, no bias) 200,704; BatchNormalization(256) γ, β
    512 trainable and the moving mean and variance 512 non-trainable; Dense(256→10) 2,570. So
    P_train = 203,786, P_nt = 512 and M = 16 × 203,786 + 2 × 512 = 3,261,600."""
    text = render(explain.load(FIXTURES / "specs" / "mlp_bn.yaml"), lang="en", format="markdown", count=COUNT)
    assert "3{,}261{,}600" in text
    assert "(16\u00a0bytes per trainable parameter and 2\u00a0bytes per non-trainable one)" in text
    assert "under both conventions of the table" not in text
    # round 14 (en): "accountings" is unusual English
    assert "(16\u00a0bytes per trainable parameter under both conventions of the table)" in seed_compute_md("en")


def test_mixed_precision_saves_no_model_state_with_any_optimizer_in_ja_and_es():
    """Round 13 (ja, es): bytes per parameter in ZeRO's accounting, float32 against mixed precision
    (16-bit weight and gradient, a 32-bit copy and the optimizer's 32-bit state): SGD 4 + 4 = 2 + 2 + 4,
    momentum 4 + 4 + 4 = 2 + 2 + (4 + 4), Adam 4 + 4 + 8 = 2 + 2 + (4 + 8). Equal for every
    optimizer, so the ja sentence says it of all of them (it named Adam and AdamW only); es calls
    the optimizer "SGD con momentum" in the sentence and the table alike (review 37: "momento" is
    also Adam's statistical moment, in the same sentence); ja counts 1 個あたり."""
    assert [4 + 4, 4 + 4 + 4, 4 + 4 + 8] == [2 + 2 + 4, 2 + 2 + (4 + 4), 2 + 2 + (4 + 8)]
    model = explain.load("example:seed-cnn")
    ja = render(model, lang="ja", format="markdown", count=("memory",))
    assert "表のとおり、どのオプティマイザでも、混合精度にしてもモデルの状態は小さくなりません" in ja
    assert "Adam や AdamW では" not in ja and "1 つあたり" not in ja
    assert not re.search("(?<!1 )パラメータあたり", ja)  # the table's heading: 1 パラメータあたりのバイト数 (round 14)
    es = render(model, lang="es", format="markdown", count=("memory",))
    assert "SGD con momentum guarda" in es and "| SGD con momentum |" in es and "con momento" not in es
    assert "segundo momento del gradiente" in es


def test_llama_compute_defines_each_symbol_once():
    """Llama 2 7B (no grouped-query attention: num_key_value_heads = num_attention_heads in its
    config) shows H_kv in MACs_1 and O_1, so the model's symbol list says H_kv = H = 32; T, declared with the
    model's symbols (4,096 positions), is not defined a second time; C_step (one step, one sample)
    and C_train (Kaplan et al.'s run on D tokens) are two symbols (review 26 en, 3, 4, 12)."""
    import json
    config = json.loads((FIXTURES / "hf/llama-2-7b.json").read_text())
    assert config["num_key_value_heads"] == config["num_attention_heads"] == 32
    text = render(explain.load(FIXTURES / "hf/llama-2-7b.json"), lang="en", format="markdown",
                  count=("params", "compute", "memory"))
    assert r"2H_{\text{kv}} \cdot d \cdot d_{h}" in text
    # review 31 (en, de, fr, ja, es: llama): H_kv is in the model's symbol list, after H, as in the
    # Gemma documents (there H_kv = 4), not only in a where-list in the middle of the compute section
    intro = text[:text.index("## Architecture")]
    assert "- $H = 32$: number of attention heads\n- $H_{\\text{kv}} = H = 32$: number of key/value heads\n" in intro
    assert text.count("H_{\\text{kv}} = H") == 1
    plain = render(explain.load(FIXTURES / "hf/llama-2-7b.json"), lang="en", format="markdown")
    assert "H_{\\text{kv}}" not in plain  # the parameter formulas do not use it
    assert re.findall(r"^- \$T\b.*$", text, flags=re.M) == ["- $T = 4{,}096$: number of positions (maximum sequence length)"]
    assert ("On a batch of $B$ samples a training step costs $B \\cdot C_{\\text{step}}$ FLOPs; for one "
            "sample, a sequence of $T = 4{,}096$ tokens, it costs $C_{\\text{step}}$:") in text
    assert text.count(r"C_{\text{step}} \approx 3 \times") == 1
    assert text.count(r"C_{\text{train}}") == 1 and r"C_{\text{train}} \approx 6 N D" in text


def test_transformer_activations_are_a_lower_bound(seed_md):
    """A transformer block keeps values inside it for the backward pass (Q, K, V, attention
    weights, the feed-forward's inner activations, dropout masks): Korthikanti et al. 2022,
    34·T·d + 5·H·T² bytes per block in 16 bits, for Llama 2 7B 34·4096·4096 + 5·32·4096² =
    3,254,779,904 bytes per block, far more than the block's output 2·T·d = 33,554,432; so the
    layer outputs are a lower bound there (review 29 de 1). A CNN keeps its sentence."""
    assert 34 * 4096 * 4096 + 5 * 32 * 4096**2 == 3_254_779_904 > 90 * 2 * 4096 * 4096
    model = explain.load(FIXTURES / "hf/llama-2-7b.json")
    for lang, words in (("en", "For a transformer it is a lower bound"), ("de", "eine Untergrenze"),
                        ("fr", "borne inférieure"), ("ja", "下限"), ("es", "cota inferior")):
        text = render(model, lang=lang, format="markdown", count=("memory",))
        assert words in text and "Korthikanti" in text and r"34\, T d + 5\, H T^{2}" in text
    en = render(model, lang="en", format="markdown", count=("memory",))
    assert "somewhat more or fewer" not in en
    # Llama 2 has no dropout (attention_dropout 0, no Dropout module): the masks belong to the GPT-style
    # block Korthikanti et al. derive, not to this model (review 31 de 1, ja 1)
    assert "the attention probabilities and the feed-forward's inner activations. Korthikanti et al. (2022) put a " \
           "GPT-style block's activations (a feed-forward of width $4d$, dropout masks included) at about" in en
    assert "the dropout masks)" not in en
    # the total adds a lower bound, so it is a lower bound too: "at least" once, and it points to the
    # estimate (review 33 textS 1)
    assert "needs at least $M_{\\text{states}} + A$ bytes" in en and "plus at least" not in en
    assert "plus 1.40\u00a0GB per sample in the batch" in en
    # Llama's block is not the formula's: its value there is an order of magnitude, as the paragraph
    # above says, not this model's estimate (review 34 textT 2)
    assert "For the activations, Korthikanti et al.'s formula above gives an order-of-magnitude estimate of 104.2\u00a0GB " \
           "per sample." in en
    # what is counted is the layer outputs, a lower bound, not all the activations (review 34 textT 3);
    # a CNN's layer outputs are its activations
    assert "The layer outputs of one sample take 1.40\u00a0GB (1.31\u00a0GiB)" in en
    assert "The activations of one sample take" not in en and "The activations of one sample take" in seed_md
    for lang, words in (("de", "Die Ausgaben der Schichten eines Beispiels belegen 1,40"),
                        ("fr", "Les sorties des couches d’un échantillon occupent 1,40"),
                        ("es", "Las salidas de las capas de un ejemplo ocupan 1,40"),
                        ("ja", "1 サンプルの各層の出力は 1.40"), ("ja", "1 サンプルあたり 1.40\u00a0GB の各層の出力です")):
        assert words in render(model, lang=lang, format="markdown", count=("memory",)), lang
    assert "Real frameworks may store somewhat more or fewer values" in seed_md and "Korthikanti" not in seed_md
    assert "at least" not in seed_md.split("Real frameworks may store")[1]
    # PyTorch's own nn.TransformerEncoderLayer is a transformer block too (the role, not the HF class)
    torch = require_module("torch")
    layer = torch.nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, batch_first=True)
    encoder = explain.from_torch(torch.nn.TransformerEncoder(layer, num_layers=2), (5, 16))
    assert any(n.layer.role == "transformer_block" for n in encoder.nodes)
    assert "For a transformer it is a lower bound" in render(encoder, lang="en", format="markdown",
                                                             count=("memory",))


def test_korthikanti_estimate_is_this_models_where_its_blocks_are_gpt_style():
    """Where the block is Korthikanti et al.'s (dropout, none inside the feed-forward, an ungated
    feed-forward of width 4d), the formula is the estimate for the model. GPT-2 (the fixture config:
    attn_pdrop = resid_pdrop = 0.1, n_inner unset: 4d; GPT2MLP: c_fc, activation, c_proj, dropout):
    34·1,024·768 + 5·12·1,024² = 26,738,688 + 62,914,560 = 89,653,248 bytes per block, × 12 =
    1,075,838,976 per sample. nn.TransformerEncoder(nn.TransformerEncoderLayer(256, 8, 1,024), 4) on
    128 positions (dropout 0.1 by default, read from torch): 34·128·256 + 5·8·128² = 1,114,112 +
    655,360 = 1,769,472 bytes per block, × 4 = 7,077,888 per sample, against its layer outputs
    2·4·128·256 = 262,144 bytes (review 33 en 2, ja 2). Its feed-forward is linear2(dropout(
    activation(linear1(x)))): a dropout on the f = 4d inner values of each of the T positions, whose
    1-byte mask Korthikanti et al.'s block has not, T·4d = 4·T·d bytes more (about 38·T·d + 5·H·T²):
    an order of magnitude, not its own value (review 34 textT 1)."""
    import json
    assert 34 * 1024 * 768 + 5 * 12 * 1024 ** 2 == 89_653_248 and 12 * 89_653_248 == 1_075_838_976
    cfg = json.loads((FIXTURES / "hf/gpt2.json").read_text())
    assert cfg["attn_pdrop"] == cfg["resid_pdrop"] == 0.1 and cfg.get("n_inner") is None
    en = render(explain.load(FIXTURES / "hf/gpt2.json"), lang="en", format="markdown", count=("memory",))
    assert ("With this model's $T = 1{,}024$, $d = 768$ and $H = 12$, that is 89.7\u00a0MB per block and "
            "1.08\u00a0GB per sample for its 12 blocks. Its blocks are of that kind (a feed-forward of width $4d$, "
            "dropout), so this is the estimate for this model. Attention kernels that do not store the attention "
            "matrices (FlashAttention and other memory-efficient kernels) drop the term $5\\, H T^{2}$ and leave "
            "$34\\, T d$: 26.7\u00a0MB per block, 320.9\u00a0MB per sample. The layer outputs counted below, "
            "128.1\u00a0MB per sample, are a lower bound.") in en
    assert 34 * 1024 * 768 == 26_738_688 and 12 * 26_738_688 == 320_864_256
    assert "For the activations, Korthikanti et al.'s formula above gives 1.08\u00a0GB per sample." in en
    # without dropout in the config, GPT-2's block is no longer the formula's
    no_drop = load_hf_config({**cfg, "attn_pdrop": 0.0, "resid_pdrop": 0.0}, "config.json")
    text = render(no_drop, lang="en", format="markdown", count=("memory",))
    assert "not this model's own value: its blocks differ from the GPT-style block (they have no dropout" in text
    torch = require_module("torch")
    layer = torch.nn.TransformerEncoderLayer(d_model=256, nhead=8, dim_feedforward=1024, batch_first=True)
    assert layer.dropout.p == 0.1 and layer.linear1.out_features == 4 * 256
    model = explain.from_torch(torch.nn.TransformerEncoder(layer, num_layers=4, enable_nested_tensor=False), (128, 256))
    assert 34 * 128 * 256 + 5 * 8 * 128 ** 2 == 1_769_472 and 4 * 1_769_472 == 7_077_888
    assert 2 * 4 * 128 * 256 == 262_144
    # the dropouts of a training step: dropout1 and dropout2 on the d-wide outputs of the attention and
    # the feed-forward (as in GPT-2), and layer.dropout on the T·f = 128·1,024 = 4·T·d inner values of
    # one sample, a 1-byte mask each (the attention probabilities' dropout is inside self_attn)
    seen: dict[str, tuple[int, ...]] = {}

    def shape(name: str):
        def hook(module, args, out) -> None:
            seen[name] = tuple(args[0].shape)
        return hook
    hooks = [getattr(layer, name).register_forward_hook(shape(name)) for name in ("dropout", "dropout1", "dropout2")]
    layer.train()(torch.zeros(1, 128, 256))
    for hook in hooks:
        hook.remove()
    assert seen == {"dropout1": (1, 128, 256), "dropout": (1, 128, 1024), "dropout2": (1, 128, 256)}
    assert 128 * 1024 == 4 * 128 * 256
    en = render(model, lang="en", format="markdown", count=("memory",))
    assert ("Applied to this model's $T = 128$, $d = 256$ and $H = 8$, the GPT-style formula gives 1.77\u00a0MB per "
            "block and 7.08\u00a0MB per sample for its 4 blocks. This is only an order-of-magnitude estimate, not this "
            "model's own value: its blocks differ from the GPT-style block (their feed-forward also has dropout after the "
            "activation, whose mask adds about $4\\, T d$ bytes).") in en
    assert "this is the estimate for this model" not in en
    assert "For the activations, Korthikanti et al.'s formula above gives an order-of-magnitude estimate of 7.08\u00a0MB " \
           "per sample." in en
    for lang, words in (("de", "ihr Feed-Forward-Netz hat zudem ein Dropout nach der Aktivierungsfunktion, dessen "
                                "Maske etwa $4\\, T d$ Byte zusätzlich belegt"),
                        ("fr", "leur réseau à propagation avant a aussi un dropout après la fonction d’activation, "
                               "dont le masque ajoute environ $4\\, T d$ octets"),
                        ("es", "su red prealimentada también tiene dropout tras la función de activación, cuya "
                               "máscara añade unos $4\\, T d$ bytes"),
                        ("ja", "フィードフォワードの活性化関数の後にもドロップアウトあり（そのマスクで約 $4\\, T d$ バイト増える）")):
        assert words in render(model, lang=lang, format="markdown", count=("memory",)), lang
    assert "leave $34\\, T d$: 1.11\u00a0MB per block, 4.46\u00a0MB per sample. The layer outputs counted below, " \
           "262.1\u00a0kB per sample, are a lower bound." in en
    assert 34 * 128 * 256 == 1_114_112 and 4 * 1_114_112 == 4_456_448
    # dropout 0 and a feed-forward of 2d: both differences named
    layer = torch.nn.TransformerEncoderLayer(d_model=256, nhead=8, dim_feedforward=512, dropout=0.0, batch_first=True)
    model = explain.from_torch(torch.nn.TransformerEncoder(layer, num_layers=4, enable_nested_tensor=False), (128, 256))
    en = render(model, lang="en", format="markdown", count=("memory",))
    assert "(they have no dropout, while $2\\, T d + 3\\, H T^{2}$ of the formula are dropout masks and outputs; " \
           "their feed-forward is 512 wide, not $4d$)" in en


def test_llama_block_has_no_dropout_module():
    """transformers' LlamaDecoderLayer: no nn.Dropout, and attention dropout only from the config's
    attention_dropout (default 0.0): the "no dropout" the activation paragraph says."""
    transformers, torch = require_module("transformers"), require_module("torch")
    cfg = transformers.LlamaConfig(hidden_size=16, intermediate_size=32, num_attention_heads=2,
                                   num_key_value_heads=2, num_hidden_layers=1, vocab_size=8)
    assert cfg.attention_dropout == 0.0
    block = transformers.models.llama.modeling_llama.LlamaDecoderLayer(cfg, 0)
    assert not any(isinstance(m, torch.nn.Dropout) for m in block.modules())


def test_korthikanti_differences_name_no_gate_phi_and_falcon_lack():
    """Phi's and Falcon's MLPs have no gate (transformers' PhiMLP: fc1, activation, fc2; FalconMLP:
    dense_h_to_4h, act, dense_4h_to_h), though their layers reuse Llama's; Qwen2-MoE's MLP is a
    mixture of experts, not one feed-forward: no feed-forward difference is named for it. Phi with
    d = 64 and f = 192 = 3d ≠ 4d = 256; Falcon's f = 4d (ffn_hidden_size unset)."""
    transformers = require_module("transformers")
    phi = transformers.PhiConfig(hidden_size=64, intermediate_size=192, num_attention_heads=4, num_hidden_layers=2,
                                 vocab_size=100, max_position_embeddings=32)
    falcon = transformers.FalconConfig(hidden_size=64, num_attention_heads=4, num_hidden_layers=2, vocab_size=100)
    moe = transformers.Qwen2MoeConfig(hidden_size=64, intermediate_size=128, moe_intermediate_size=32,
                                      shared_expert_intermediate_size=64, num_attention_heads=4, num_key_value_heads=4,
                                      num_hidden_layers=2, num_experts=4, num_experts_per_tok=2, vocab_size=100,
                                      max_position_embeddings=32)
    modeling = transformers.models
    assert [n for n, _ in modeling.phi.modeling_phi.PhiMLP(phi).named_children()] == ["activation_fn", "fc1", "fc2"]
    assert [n for n, _ in modeling.falcon.modeling_falcon.FalconMLP(falcon).named_children()] \
        == ["dense_h_to_4h", "act", "dense_4h_to_h"]
    assert falcon.ffn_hidden_size == 4 * 64 and 192 != 4 * 64
    assert "Moe" in type(modeling.qwen2_moe.modeling_qwen2_moe.Qwen2MoeDecoderLayer(moe, 0).mlp).__name__
    texts = {type(c).__name__: render(load_hf_config(c.to_dict(), "config.json"), lang="en", format="markdown",
                                      count=("memory",)) for c in (phi, falcon, moe)}
    assert "its blocks differ from the GPT-style block (their feed-forward is 192 wide, not $4d$)." in texts["PhiConfig"]
    for name in ("FalconConfig", "Qwen2MoeConfig"):
        assert "blocks. This is an order-of-magnitude estimate for this model." in texts[name], name
    assert not any("their feed-forward is gated" in t for t in texts.values())


def test_korthikanti_estimate_is_evaluated_beside_the_lower_bound():
    """Llama 2 7B (the fixture config): Korthikanti et al.'s 34·T·d + 5·H·T² with T = 4,096
    (max_position_embeddings), d = 4,096 (hidden_size), H = 32 (num_attention_heads) is
    570,425,344 + 2,684,354,560 = 3,254,779,904 bytes per block, and 32 blocks (num_hidden_layers)
    104,152,956,928 bytes per sample; the lower bound counted here is 2 × (T·d·(L + 2) + T·V) =
    2 × 701,497,344 bytes = 1.40 GB (review 31 en 1, de 1, fr 1, ja 1, es 1: named, not evaluated)."""
    import json
    cfg = json.loads((FIXTURES / "hf/llama-2-7b.json").read_text())
    t, d, h, layers, v = (cfg["max_position_embeddings"], cfg["hidden_size"], cfg["num_attention_heads"],
                          cfg["num_hidden_layers"], cfg["vocab_size"])
    assert 34 * t * d == 570_425_344 and 5 * h * t * t == 2_684_354_560
    per_block = 34 * t * d + 5 * h * t * t
    assert per_block == 3_254_779_904 and layers * per_block == 104_152_956_928
    assert 2 * (t * d * (layers + 2) + t * v) == 1_402_994_688
    model = explain.load(FIXTURES / "hf/llama-2-7b.json")
    en = render(model, lang="en", format="markdown", count=("memory",))
    # Llama's block is not the formula's: the value is an order of magnitude, and the differences are
    # read from the block (attention_dropout 0.0 in the config; a gated feed-forward of f = 11,008)
    assert cfg["attention_dropout"] == 0.0 and cfg["intermediate_size"] == 11_008 != 4 * d
    assert ("($T$ positions, width $d$, $H$ heads). Applied to this model's $T = 4{,}096$, $d = 4{,}096$ and "
            "$H = 32$, the GPT-style formula gives 3.25\u00a0GB per block and 104.2\u00a0GB per sample for its 32 "
            "blocks. This is only an order-of-magnitude estimate, not this model's own value: its blocks differ from the GPT-style "
            "block (they have no dropout, while $2\\, T d + 3\\, H T^{2}$ of the formula are dropout masks and outputs; "
            "their feed-forward is gated and 11,008 wide). Attention kernels that do not store the attention matrices "
            "(FlashAttention and other memory-efficient kernels) drop the term $5\\, H T^{2}$ and leave $34\\, T d$: "
            "570.4\u00a0MB per block, 18.3\u00a0GB per sample. The layer outputs counted below, 1.40\u00a0GB per sample, "
            "are a lower bound. Recomputing activations (gradient checkpointing)") in en
    assert 34 * t * d == 570_425_344 and layers * 570_425_344 == 18_253_611_008
    assert "this is the estimate for this model" not in en
    # with a dropout rate in the config, no "no dropout" clause
    dropped = load_hf_config({**cfg, "attention_dropout": 0.1}, "config.json")
    text = render(dropped, lang="en", format="markdown", count=("memory",))
    assert "(their feed-forward is gated and 11,008 wide)" in text and "no dropout" not in text
    for lang, words in (("de", "3,25\u00a0GB je Block und 104,2\u00a0GB je Beispiel"), ("fr", "3,25\u202fGo par bloc"),
                        ("fr", "sorties de dropout\u202f; leur réseau"), ("ja", "104.2\u00a0GB"), ("ja", "値 1 個あたり"), ("es", "3,25\u00a0GB por bloque y 104,2\u00a0GB por ejemplo")):
        assert words in render(model, lang=lang, format="markdown", count=("memory",)), lang
    # French LaTeX: babel-french spaces the ";" between the differences itself; a typed U+202F is
    # a character Latin Modern lacks (lualatex: "Missing character")
    tex = render(model, lang="fr", format="latex", count=("memory",))
    assert "sorties de dropout; leur réseau" in tex and "\u202f" not in tex


def test_compute_symbols_of_attention_are_defined():
    """nn.TransformerEncoder has self-attention only: one sequence length T, as in the memory
    section, and every symbol of its compute formulas in a "with" list (H heads); an attention
    layer's T_q and T_k are defined too (review 33 en 3, ja 2)."""
    torch = require_module("torch")
    layer = torch.nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=64, batch_first=True)
    model = explain.from_torch(torch.nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False), (5, 16))
    text = render(model, lang="en", format="markdown", count=("compute", "memory"))
    assert "T_{q}" not in text and r"\text{MACs} &= 2d \cdot T^{2} + 4T \cdot d^{2} + 2T \cdot d \cdot f" in text
    # T counts positions here, not an RNN's time steps (review 34 textT 4); an LSTM keeps them
    # with their values, which every layer shares (review 36 en 9, de 12, ja 9)
    assert "- $H = 2$: number of attention heads\n- $T = 5$: sequence length (number of positions)" in text
    lstm = explain.from_torch(torch.nn.LSTM(8, 16, batch_first=True), (5, 8))
    assert "- $T$: sequence length (time steps)" in render(lstm, lang="en", format="markdown", count=("compute",))
    mha = explain.from_torch(torch.nn.MultiheadAttention(16, 2, batch_first=True), [(5, 16), (7, 16), (7, 16)])
    text = render(mha, lang="en", format="markdown", count=("compute",))
    for words in ("$T_{q} = 5$: number of query positions", "$T_{k} = 7$: number of key and value positions"):
        assert words in text


def test_a_repeated_blocks_compute_is_l_times_one_copy_in_numbers():
    """Llama-2-7B at T = 4,096 (d = 4,096, f = 11,008, H·d_h = d, 32 layers), one layer by hand:
    T·(4d² + 3·d·f) = 4,096 × 202,375,168 = 828,928,688,128 MACs of projections and 2·H·d_h·T·T =
    137,438,953,472 of attention: 966,367,641,600; the stack as the parameters' P = L · P_1
    writes it, 32 × 966,367,641,600 = 30,923,764,531,200, not L times the formula in symbols."""
    model = explain.load(FIXTURES / "hf" / "llama-2-7b.json")
    text = render(model, lang="en", format="markdown", count=("compute",))
    assert (r"\text{MACs} &= L \cdot \text{MACs}_{1} = 32 \times 966{,}367{,}641{,}600"
            r" = 30{,}923{,}764{,}531{,}200") in text
