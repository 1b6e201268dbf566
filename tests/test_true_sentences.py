"""Sentences that were false or misleading (issues 12 and 18), each checked where it is decided.

Every number a claim depends on comes from Keras 3 or PyTorch here; the sentences are read in
English and their msgids checked in every catalog, so that the fix reaches every language.
"""
from __future__ import annotations

import re

import pytest

from tests.conftest import FIXTURES, require_module

import explain
from explain.derivation import derive
from explain.layers import _texts
from explain.layers.registry import layer_types
from explain.render import messages, render_document
from explain.render.i18n import translations

LANGS = ("de", "fr", "ja", "es")

def markdown(model) -> str:
    return render_document("derivation", model, lang="en", format="markdown")

def translated(msgid: str) -> bool:
    return all(translations(lang).gettext(msgid) != msgid for lang in LANGS)

def keras_type(name: str):
    return next(c for c in layer_types("keras") if c.type_name == name)

def torch_type(name: str):
    return next(c for c in layer_types("pytorch") if c.type_name == name)

# -- each layer says what it does (not its family's "maximum or mean", "zero or noise", "combines")
OWN_SENTENCE = [
    ("keras", "MaxPooling2D", "largest value"), ("keras", "AveragePooling1D", "mean"),
    ("keras", "GlobalMaxPooling2D", "largest value"), ("keras", "GlobalAveragePooling2D", "mean"),
    ("keras", "AdaptiveMaxPooling2D", "largest value"), ("keras", "AdaptiveAveragePooling2D", "mean"),
    ("pytorch", "MaxPool2d", "largest value"), ("pytorch", "AvgPool2d", "mean"),
    ("pytorch", "AdaptiveMaxPool2d", "largest value"), ("pytorch", "AdaptiveAvgPool2d", "mean"),
    ("keras", "Dropout", "to zero with probability %(r)s"),
    ("keras", "SpatialDropout2D", "whole channels to zero"), ("pytorch", "Dropout2d", "whole channels to zero"),
    ("pytorch", "Dropout", "to zero with probability %(r)s"),
    ("keras", "GaussianNoise", "adds random noise"), ("keras", "GaussianDropout", "multiplies its input"),
    ("keras", "Add", "adds its inputs"), ("keras", "Subtract", "subtracts"), ("keras", "Multiply", "multiplies"),
    ("keras", "Average", "averages"), ("keras", "Maximum", "larger"), ("keras", "Minimum", "smaller"),
    ("keras", "Concatenate", "joins its inputs"), ("keras", "Dot", "dot products"),
    ("keras", "Embedding", "every index its input can take"),
    ("pytorch", "Embedding", "every index its input can take"),
]

@pytest.mark.parametrize("framework, name, words", OWN_SENTENCE, ids=[f"{f}-{n}" for f, n, _ in OWN_SENTENCE])
def test_each_layer_says_what_it_does(framework, name, words):
    cls = keras_type(name) if framework == "keras" else torch_type(name)
    text = cls.explanation
    assert words in text
    for family_words in ("maximum or the average", "to zero or adds noise", "combines its inputs",
                         "every entry of the vocabulary"):
        assert family_words not in text
    assert translated(text)

# -- recurrent bias notes: what each framework's count is, from the frameworks themselves
def _torch_params(module) -> int:
    return sum(p.numel() for p in module.parameters())

def _keras_params(layer, shape) -> int:
    keras = require_module("keras")
    model = keras.Sequential([keras.Input(shape), layer])
    return model.count_params()

def test_gru_note_says_pytorch_equals_keras_default_and_3h_more_than_reset_after_false():
    torch = require_module("torch")
    keras = require_module("keras")
    i, h = 12, 7
    pt = _torch_params(torch.nn.GRU(i, h))
    default = _keras_params(keras.layers.GRU(h), (5, i))
    old = _keras_params(keras.layers.GRU(h, reset_after=False), (5, i))
    assert pt == default == 3 * h * (i + h) + 6 * h  # hand derivation: 3 gates, two biases each
    assert pt - old == 3 * h
    model = explain.load({"name": "g", "framework": "pytorch", "input": [5, i],
                          "layers": [{"GRU": {"input_size": i, "hidden_size": h, "batch_first": True}}]})
    notes = [k for s in derive(model).steps for k in s.notes]
    assert "gru_two_biases" in notes and "rnn_two_biases" not in notes
    text = messages.english(messages.NOTES["gru_two_biases"])
    assert "3h(n_in + h) + 6h" in text and "reset_after=True" in text and "3h parameters fewer" in text
    assert translated(messages.NOTES["gru_two_biases"])

@pytest.mark.parametrize("torch_name, keras_name, key, extra", [
    ("LSTM", "LSTM", "rnn_two_biases", "4h more"),
    ("RNN", "SimpleRNN", "rnn_two_biases_simple", "h more"),
])
def test_other_recurrent_notes_give_the_true_difference(torch_name, keras_name, key, extra):
    torch = require_module("torch")
    keras = require_module("keras")
    i, h = 12, 7
    pt = _torch_params(getattr(torch.nn, torch_name)(i, h))
    k = _keras_params(getattr(keras.layers, keras_name)(h), (5, i))
    gates = {"LSTM": 4, "RNN": 1}[torch_name]
    assert pt - k == gates * h
    model = explain.load({"name": "r", "framework": "pytorch", "input": [5, i],
                          "layers": [{torch_name: {"input_size": i, "hidden_size": h, "batch_first": True}}]})
    assert key in [k for s in derive(model).steps for k in s.notes]
    assert extra in messages.english(messages.NOTES[key]) and translated(messages.NOTES[key])

def test_simple_rnn_has_no_gates_in_its_sentences():
    model = explain.load({"name": "s", "input": [5, 3], "layers": [{"SimpleRNN": {"units": 4}}]})
    text = markdown(model)
    assert "gate" not in text.lower().replace("it has no gates", "")
    assert "In Keras this layer has one bias vector; PyTorch's `nn.RNN` has two (`bias_ih_l0` and `bias_hh_l0`)" in text

def test_mha_note_defines_e_and_gives_the_case_where_both_counts_agree():
    torch = require_module("torch")
    keras = require_module("keras")
    E, H = 16, 4
    q = keras.Input((6, E))
    out = keras.layers.MultiHeadAttention(num_heads=H, key_dim=E // H)(q, q)
    k = keras.Model(q, out).count_params()
    pt = _torch_params(torch.nn.MultiheadAttention(E, H))
    assert k == pt == 4 * E * E + 4 * E
    text = messages.english(messages.NOTES["mha_heads_times_key_dim"])
    assert "embedding dimension E" in text and "E_q = E_k = E_v = E_out = H·d_k = H·d_v = E" in text
    assert translated(messages.NOTES["mha_heads_times_key_dim"])
    torch_note = messages.english(messages.NOTES["mha_in_proj_4E2"])
    # PyTorch's formulas write E as d (the model width); its note uses the same letter
    assert "4d² + 4d parameters, with d its embedding dimension (embed_dim)" in torch_note
    assert "the same count when" in torch_note and "H·d_k = d" in torch_note
    # each head's own projection weights: Keras's query kernel is (E, H, d_k), one slice per head
    mha = keras.layers.MultiHeadAttention(num_heads=H, key_dim=3, value_dim=5)
    mha(q, q)
    assert {w.path.split("/", 1)[1]: tuple(w.shape) for w in mha.weights}["query/kernel"] == (E, H, 3)
    assert "projection weights of its own for the queries and keys (d_k outputs each)" in text
    # the classes by their names in code, in every language (Markdown code spans)
    for lang in ("en", "de", "fr", "ja", "es"):
        md = render_document("derivation", explain.load(FIXTURES / "specs" / "mha_small.yaml"), lang=lang,
                             format="markdown")
        assert "`nn.MultiheadAttention`" in md, lang

# -- moving statistics and non-trainable parameters
def test_batchnorm_note_and_total_sentence_are_true():
    keras = require_module("keras")
    bn = keras.layers.BatchNormalization()
    model = keras.Sequential([keras.Input((4,)), bn])
    before = [w.numpy().copy() for w in bn.non_trainable_weights]
    model.compile("sgd", "mse")
    import numpy as np
    model.fit(np.ones((8, 4)) * 3, np.zeros((8, 4)), epochs=1, verbose=0)
    after = [w.numpy() for w in bn.non_trainable_weights]
    assert any(not np.allclose(a, b) for a, b in zip(before, after))  # training does change them
    text = markdown(explain.load({"name": "b", "input": [4], "layers": [
        {"BatchNormalization": {}}]}))
    assert "training does not change them" not in text
    assert "gradient descent does not change them" in text
    note = messages.NOTES["keras_bn_moving_stats_non_trainable"]
    assert "this is where" not in note and "frozen layers" in note and "during training they are updated" in note
    assert translated(note)

# -- shapes: "stays the same" only where the layer keeps it
def test_bidirectional_says_why_its_width_is_2h():
    keras = require_module("keras")
    inp = keras.Input((10, 64))
    out = keras.layers.Bidirectional(keras.layers.LSTM(32, return_sequences=True))(inp)
    assert tuple(out.shape) == (None, 10, 64)  # 2h equals the input width by coincidence
    model = explain.load({"name": "b", "input": [10, 64], "layers": [
        {"Bidirectional": {"layer": {"LSTM": {"units": 32, "return_sequences": True}}}}]})
    text = markdown(model)
    assert "The shape stays the same" not in text
    assert "two directions are concatenated" in text and '`merge_mode="concat"`' in text
    assert "With `return_sequences=True` the recurrent layer outputs its hidden state at each of the 10 time steps" in text
    assert translated("The outputs of the two directions are concatenated along the last axis "
                      "(%(merge_mode_concat)s, the default), which therefore has the units of both: "
                      "%(shape)s.")

@pytest.mark.parametrize("mode", ["sum", "ave", "mul"])
def test_bidirectional_merged_keeps_one_directions_width_and_drops_time(mode):
    """merge_mode sum/ave/mul combine the directions element by element: Keras gives (None, h);
    without return_sequences the time axis is gone."""
    keras = require_module("keras")
    out = keras.layers.Bidirectional(keras.layers.GRU(16), merge_mode=mode)(keras.Input((30, 64)))
    assert tuple(out.shape) == (None, 16)
    model = explain.load({"name": "b", "input": [30, 64], "layers": [
        {"Bidirectional": {"layer": {"GRU": {"units": 16}}, "merge_mode": mode}}]})
    text = markdown(model)
    assert f'combined element by element (`merge_mode="{mode}"`)' in text and "`(None, 16)`" in text
    assert "the time axis disappears" in text

def test_dense_from_d_to_d_does_not_claim_to_keep_the_shape():
    model = explain.load({"name": "d", "input": [8], "layers": [{"Dense": {"units": 8}},
                                                                 {"Dropout": {"rate": 0.5}}]})
    text = markdown(model)
    assert text.count("The shape stays the same") == 1  # the dropout's, not the dense layer's

# -- symbols: each row uses its own symbols, never another meaning for a symbol of the model
@pytest.mark.parametrize("name", ["gpt2", "t5-small", "bert-base-uncased", "llama-2-7b"])
def test_no_symbol_is_relabelled(name):
    model = explain.load(FIXTURES / "hf" / f"{name}.json")
    declared = {s.name for s in model.symbols}
    for step in derive(model).steps:
        for sv in step.symbols:
            value = sv.value
            if getattr(value, "is_Symbol", False):
                assert value.name == sv.symbol.name or value.name not in declared, \
                    (step.node.name, sv.symbol, value)
    text = markdown(model)
    assert not re.search(r"\$V = T = ", text) and "d = H = " not in text

def test_gpt2_position_embedding_is_t_times_d():
    model = explain.load(FIXTURES / "hf" / "gpt2.json")
    step = next(s for s in derive(model).steps if s.node.name.endswith("wpe"))
    assert {sv.symbol.name for sv in step.symbols} == {"T", "d"}
    assert model.evaluate(step.params) == 1024 * 768  # n_positions · n_embd, from the config

def _section(text: str, name: str) -> str:
    start = text.index(f". `{name}` (", text.index("\n### 1. "))  # its section, not its summary row
    end = text.find("\n### ", start)
    return text[start:end if end > 0 else text.index("\n## ", start)]

@pytest.mark.parametrize("name,table,says", [
    # transformers' GPT-2 and BERT look up position_ids (0 … n − 1) in these tables, not input_ids;
    # BERT's token-type table the token_type_ids; T5's relative bias the buckets of key − query
    ("gpt2", "transformer.wpe", "the positions of the sequence"),
    ("bert-base-uncased", "embeddings.position_embeddings", "the positions of the sequence"),
    ("bert-base-uncased", "embeddings.token_type_embeddings", "the token types (`token_type_ids`"),
    ("t5-small", "encoder.block.0.layer.0.SelfAttention.relative_attention_bias", "the bucket of their relative distance"),
])
def test_an_embedding_says_what_its_indices_are(name, table, says):
    text = render_document("derivation", explain.load(FIXTURES / "hf" / f"{name}.json"), lang="en", format="markdown")
    section = _section(text, table)
    assert says in section and "Every index of the input" not in section
    token_table = {"gpt2": "transformer.wte", "bert-base-uncased": "embeddings.word_embeddings",
                   "t5-small": "shared"}[name]
    assert "Every index of the input" in _section(text, token_table)

# -- explain layers: a wrapper's formula names the layer it was built with; no formula is "0"
def test_layer_reference_names_the_wrapped_layer():
    from explain.render.reference import entries
    from explain.render.view import Formatter
    found = {e["type"]: e for e in entries(None, Formatter("markdown", "en"))}
    assert found["Bidirectional"]["wraps"] == "LSTM"
    assert found["TimeDistributed"]["wraps"]
    assert found["Dense"]["wraps"] is None
    assert translated("(for example, wrapping %(layer)s)")

def test_layer_reference_text_never_prints_formula_zero(capsys):
    from explain.cli import main
    main(["layers", "--format", "text"])
    out = capsys.readouterr().out
    assert not re.search(r"\): 0$", out, re.M)
    assert re.search(r"^Bidirectional \(keras\): .*\(for example, wrapping LSTM\)$", out, re.M)

# -- the summary table: its column adds up to the total; a tied head adds nothing
def _summary_counts(text: str) -> dict[str, int]:
    section = text.split("## Summary", 1)[1].split("Total:", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"[\d,]+", cells[2]):
            rows[cells[0]] = int(cells[2].replace(",", ""))
    return rows

@pytest.mark.parametrize("name", ["gpt2", "t5-small", "bert-base-uncased"])
def test_summary_column_adds_up_to_the_total(name):
    transformers = require_module("transformers")
    model = explain.load(FIXTURES / "hf" / f"{name}.json")
    text = markdown(model)
    rows = _summary_counts(text)
    config = transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / f"{name}.json")
    arch = getattr(transformers, config.architectures[0])
    import torch
    with torch.device("meta"):
        real = sum(p.numel() for p in arch(config).parameters())  # tied weights once
    assert sum(rows.values()) == real
    for cell, count in rows.items():
        if "weights shared with" in cell:
            assert count == 0, cell

def test_checker_names_keras_batchnorm_non_trainable_zero(tmp_path):
    keras = require_module("keras")
    import yaml
    spec = {"name": "bn", "input": [784], "layers": [{"Dense": {"name": "fc", "units": 256}},
                                                     {"BatchNormalization": {"name": "bn"}}]}
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(256), keras.layers.BatchNormalization()])
    stats = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    assert stats == 2 * 256
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"model": "m.yaml", "claims": [
        {"non_trainable": "0"}, {"layer": "bn", "work": "512"}]}))
    report = explain.check(tmp_path / "s.yaml")
    assert report.claims[0].verdict == "wrong"
    assert report.claims[0].diagnosis[0] == "bn_non_trainable"
    from explain.checker import render_report
    text = render_report(report, format="markdown")
    assert not re.search(r"Σ = ([\d,]+) = \1\b", text)

def test_resnet_groups_follow_the_data_flow():
    model = explain.load(FIXTURES / "keras" / "ResNet50.json")
    d = derive(model)
    for block in d.blocks:
        if block.repeat < 2:
            continue
        for before, after in zip(block.names, block.names[1:]):
            inputs = {i for n in model.nodes if n.name in after for i in n.inputs}
            assert inputs & set(before), (before, after)  # each repetition feeds the next
        flat = [n for names in block.names for n in names]
        assert not {"conv2_block1_0_conv", "conv2_block1_3_conv"} <= set(flat)

# -- Hugging Face models: the shapes and the reasons a lecturer gives (issues 12, 18)
def _hf(name: str):
    return explain.load(FIXTURES / "hf" / f"{name}.json")

def _node(model, name: str):
    return next(n for n in model.nodes if n.name == name)

@pytest.mark.parametrize("config_class, arch, pooler", [
    ("BertConfig", "BertModel", "pooler.dense"),
    ("AlbertConfig", "AlbertModel", "pooler"),
    ("ViTConfig", "ViTModel", "pooler.dense"),
])
def test_a_pooler_takes_the_first_position_and_drops_the_sequence_axis(config_class, arch, pooler):
    torch = require_module("torch")
    transformers = require_module("transformers")
    small = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32}
    if arch == "ViTModel":
        small.update(image_size=8, patch_size=4, num_channels=3)
    cfg = getattr(transformers, config_class)(**small)
    hf = getattr(transformers, arch)(cfg).eval()
    inputs = ({"pixel_values": torch.zeros(2, 3, 8, 8)} if arch == "ViTModel"
              else {"input_ids": torch.zeros(2, 5, dtype=torch.long)})
    with torch.no_grad():
        out = hf(**inputs)
    assert tuple(out.pooler_output.shape) == (2, 16)  # one vector per sequence: no sequence axis
    import json
    raw = json.loads(cfg.to_json_string(use_diff=False))
    raw["architectures"] = [arch]
    from explain.importers.hf_config import load_hf_config
    model = load_hf_config(raw, "config.json")
    node = _node(model, pooler)
    assert len(node.output_shape) == 1 and model.evaluate(node.output_shape[0]) == 16
    assert model.total == sum(p.numel() for p in hf.parameters())

def test_bert_fixture_pooler_is_none_d():
    """bert-base-uncased's hidden_size is 768: the pooler gives one vector of d = 768 per sequence,
    and a shape shows the config's numbers, no symbol inside a code tuple."""
    text = markdown(_hf("bert-base-uncased"))
    row = next(line for line in text.splitlines() if line.startswith("| `pooler.dense`"))
    assert "`(None, 768)`" in row and "None, d)" not in text
    assert "For every sequence this step keeps only the vector at the first position" in text

def test_gpt2_adds_token_and_position_embeddings_only():
    transformers = require_module("transformers")
    torch = require_module("torch")
    cfg = transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / "gpt2.json")
    with torch.device("meta"):
        hf = transformers.GPT2Model(cfg)
    embeddings = [n for n, m in hf.named_modules() if isinstance(m, torch.nn.Embedding)]
    assert embeddings == ["wte", "wpe"]  # no token type embedding
    step = next(s for s in derive(_hf("gpt2")).steps if s.node.layer.role == "merge")
    assert "token type" not in step.explanation
    assert "token embedding and the position embedding" in step.explanation and translated(step.explanation)
    # the sum is computed in GPT2Model.forward: the row is named by what it adds, no module name
    assert step.node.name == "transformer.wte + transformer.wpe"
    assert "embeddings" not in dict(hf.named_modules())
    assert "not a module of its own in PyTorch" in step.explanation
    # transformer.drop follows it, a dropout without weights: said in the row's sentence
    assert isinstance(hf.drop, torch.nn.Dropout) and _numel(hf.drop) == 0
    assert "The dropout layer drop that follows it has none either and does not change the shape" in \
        messages.english(step.explanation)
    assert "`drop`" in markdown(_hf("gpt2"))  # the module's name in code font
    bert = next(s for s in derive(_hf("bert-base-uncased")).steps if s.node.name.endswith("sum"))
    assert "token type" in bert.explanation and "not a module of its own" in bert.explanation

@pytest.mark.parametrize("name, blocks", [("gpt2", ["transformer.h"]), ("bert-base-uncased", ["encoder.layer"]),
                                          ("llama-2-7b", ["model.layers"]),
                                          ("t5-small", ["encoder.block", "decoder.block"])])
def test_the_number_of_blocks_is_defined_where_it_is_used(name, blocks):
    transformers = require_module("transformers")
    cfg = transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / f"{name}.json")
    model = _hf(name)
    text = markdown(model)
    for block in blocks:
        step = next(s for s in derive(model).steps if s.node.name == block)
        shown = {sv.symbol.name: model.evaluate(sv.value) for sv in step.symbols}
        # one block's P_1 does not depend on L: the model's symbol list defines it, from the config
        assert "L" not in shown
        # an encoder–decoder's L counts each stack's blocks (T5: num_layers = num_decoder_layers)
        each = " in each of the encoder and the decoder" if len(blocks) == 2 else ""
        assert f"- $L = {cfg.num_hidden_layers}$: number of {'' if each else 'transformer '}blocks{each}\n" in text
        said = (f"the rows `{blocks[0]}` and `{blocks[1]}` each stand for" if len(blocks) == 2 else
                f"the row `{block}` stands for")
        assert f"In the summary table below, {said} the $L = {cfg.num_hidden_layers}$ blocks" in text
        assert f"The block is repeated $L = {cfg.num_hidden_layers}$ times, each time with weights of its own" in text
    assert translated(messages.COMPOSITION_ROW) and translated(messages.COMPOSITION_ROWS)

@pytest.mark.parametrize("name, tied", [("gpt2", True), ("t5-small", True), ("llama-2-7b", False)])
def test_the_lm_head_says_whether_it_is_tied(name, tied):
    transformers = require_module("transformers")
    torch = require_module("torch")
    cfg = transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / f"{name}.json")
    if name == "llama-2-7b":
        cfg.num_hidden_layers, cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size = 1, 64, 128, 100
    arch = getattr(transformers, cfg.architectures[0])
    with torch.device("meta"):
        hf = arch(cfg)
    assert (hf.get_output_embeddings().weight is hf.get_input_embeddings().weight) == tied
    model = _hf(name)
    assert ("tied_head" if tied else "untied_head", ()) in model.notes

def _numel(module) -> int:
    return sum(p.numel() for p in module.parameters())

def test_block_notes_are_true_of_the_real_blocks():
    transformers = require_module("transformers")
    torch = require_module("torch")
    d = 64
    counts = {}
    for heads in (2, 8):
        with torch.device("meta"):
            gpt2 = transformers.GPT2Model(transformers.GPT2Config(n_embd=d, n_layer=1, n_head=heads))
            bert = transformers.BertModel(transformers.BertConfig(hidden_size=d, num_hidden_layers=1,
                                                                  num_attention_heads=heads, intermediate_size=4 * d))
            llama = transformers.LlamaModel(transformers.LlamaConfig(hidden_size=d, num_hidden_layers=1,
                                                                     num_attention_heads=heads, intermediate_size=96))
        counts[heads] = (_numel(gpt2.h[0]), _numel(bert.encoder.layer[0]), _numel(llama.layers[0]))
        assert _numel(gpt2.h[0].attn.c_attn) == 3 * d * d + 3 * d  # Q, K, V fused
        attn = bert.encoder.layer[0].attention
        assert _numel(attn.self) + _numel(attn.output.dense) == 4 * d * d + 4 * d
        mlp = llama.layers[0].mlp
        assert [tuple(m.weight.shape) for m in (mlp.gate_proj, mlp.up_proj, mlp.down_proj)] == \
            [(96, d), (96, d), (d, 96)]  # three d × f matrices
        assert _numel(llama.rotary_emb) == 0  # RoPE has no parameters
        assert _numel(llama.layers[0].self_attn) == 4 * d * d
    assert counts[2] == counts[8]  # the number of heads does not change the count
    with torch.device("meta"):
        t5 = transformers.T5Model(transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / "t5-small.json"))
    names = [n for n, _ in t5.named_parameters()]
    assert not [n for n in names if n.endswith(".bias") and "relative_attention_bias" not in n]  # no biases
    assert [n for n in names if "relative_attention_bias" in n] == [
        "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
        "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"]  # first block only
    expected = {"gpt2": ["gpt2_fused_qkv"], "bert-base-uncased": ["heads_split_width"],
                "llama-2-7b": ["heads_split_width_no_bias", "gated_ffn", "rope_no_parameters"],
                "t5-small": ["t5_relative_bias"]}
    for name, keys in expected.items():
        notes = {k for s in derive(_hf(name)).steps for k in s.notes}
        assert set(keys) <= notes, name
        for k in keys:
            assert translated(messages.NOTES[k])

def test_block_sentences_name_one_block_of_the_stack():
    """A row stands for L blocks: BERT's sentence says 'block' (as P_1's meaning does), Llama's says
    what each decoder layer has, and the no-GQA note says each head has key and value projections."""
    assert messages.english(_texts.BERT_BLOCK).startswith("A BERT block has two parts")
    assert messages.english(_texts.LLAMA_BLOCK).startswith("Each decoder layer (the Llama architecture)")
    note = messages.english(messages.NOTES["heads_split_width_no_bias"])
    assert note.startswith("Here every head has key and value projections of its own (no grouped-query attention)")
    for text in (_texts.BERT_BLOCK, _texts.LLAMA_BLOCK, messages.NOTES["heads_split_width_no_bias"]):
        assert translated(text)


def test_layer_normalization_sentence_says_which_normalization():
    """torch.nn.LayerNorm(8) and keras LayerNormalization: weight/gamma and bias/beta of 8 each, a layer
    normalization (the features of each sample to mean 0 and variance 1), not a generic 'normalization layer'."""
    torch = require_module("torch")
    assert [tuple(p.shape) for p in torch.nn.LayerNorm(8).parameters()] == [(8,), (8,)]
    steps = _steps({"name": "t", "framework": "pytorch", "input": [5, 8], "layers": [
        {"LayerNorm": {"name": "ln", "normalized_shape": 8}}]})
    assert steps["ln"].explanation == _texts.LAYER_NORM
    keras_steps = _steps({"name": "k", "framework": "keras", "input": [5, 8], "layers": [
        {"LayerNormalization": {"name": "ln"}}, {"LayerNormalization": {"name": "ln_c", "center": False}}]})
    assert keras_steps["ln"].explanation == _texts.LAYER_NORM
    assert keras_steps["ln_c"].explanation == _texts.NORM_NO_BIAS  # no beta: the generic sentence without it
    english = messages.english(_texts.LAYER_NORM)
    assert english.startswith("Layer normalization normalizes the features of each sample to mean 0 and variance 1")
    assert translated(_texts.LAYER_NORM)


def test_grouped_query_attention_note():
    model = explain.load({"name": "gqa", "framework": "pytorch", "input": [5, 64], "layers": [
        {"LlamaDecoderLayer": {"hidden_size": 64, "num_attention_heads": 8, "num_key_value_heads": 2,
                               "head_dim": 8, "intermediate_size": 96}}]})
    notes = [k for s in derive(model).steps for k in s.notes]
    assert "gqa_kv_heads" in notes and "heads_split_width_no_bias" not in notes
    assert translated(messages.NOTES["gqa_kv_heads"])

# -- Keras layers: what the count is of, and why (issues 12, 18)
def _steps(spec: dict) -> dict:
    return {s.node.name: s for s in derive(explain.load(spec)).steps}

@pytest.mark.parametrize("framework, name, args, gates, groups", [
    ("keras", "LSTM", {"units": 4}, 4, ("input", "forget", "output")),
    ("keras", "GRU", {"units": 4}, 3, ("update", "reset")),
    ("pytorch", "LSTM", {"input_size": 6, "hidden_size": 4, "batch_first": True}, 4, ("input", "forget", "output")),
    ("pytorch", "GRU", {"input_size": 6, "hidden_size": 4, "batch_first": True}, 3, ("update", "reset")),
])
def test_the_recurrent_factor_is_gates_and_candidate(framework, name, args, gates, groups):
    torch = require_module("torch")
    # the real layer's weight matrix stacks 4 (LSTM: i, f, g, o) or 3 (GRU: r, z, n) blocks of h rows
    module = getattr(torch.nn, name)(6, 4)
    assert module.weight_ih_l0.shape[0] == gates * 4
    spec = {"name": "r", "input": [5, 6], "layers": [{name: args}]}
    if framework == "pytorch":
        spec["framework"] = "pytorch"
    step = next(iter(_steps(spec).values()))
    key = {4: "lstm_four_groups", 3: "gru_three_groups"}[gates]
    assert key in step.notes
    note = messages.NOTES[key]
    assert f"The factor {gates}" in note and all(g in note for g in groups) and "candidate" in note
    assert "Every gate" not in step.explanation
    assert re.search(r"gates and the (cell )?candidate", step.explanation)
    assert translated(note) and translated(step.explanation)

def test_prelu_slopes_are_one_per_entry_not_per_channel():
    keras = require_module("keras")
    model = keras.Sequential([keras.Input((32, 32, 64)), keras.layers.PReLU()])
    assert model.count_params() == 32 * 32 * 64 != 64  # Keras's default alpha: one slope per entry
    step = _steps({"name": "p", "input": [32, 32, 64], "layers": [{"PReLU": {"name": "act"}}]})["act"]
    # P = H_in·W_in·C: each symbol means what it says (C the 64 channels, not the 65,536 slopes)
    meanings = {sv.symbol.name: (messages.SYMBOLS[sv.meaning], sv.value) for sv in step.symbols}
    assert meanings == {"H_in": ("height of the input", 32), "W_in": ("width of the input", 32),
                        "C": ("number of channels", 64)}
    assert all(translated(m) for m, _ in meanings.values())

def test_attention_input_widths_are_not_named_like_per_head_sizes():
    keras = require_module("keras")
    q = keras.Input((6, 12))
    v = keras.Input((6, 10))
    out = keras.layers.MultiHeadAttention(num_heads=2, key_dim=5, value_dim=7)(q, v)
    real = keras.Model([q, v], out).count_params()
    model = explain.load({"name": "m", "inputs": {"q": [6, 12], "v": [6, 10]}, "layers": [
        {"MultiHeadAttention": {"name": "mha", "num_heads": 2, "key_dim": 5, "value_dim": 7, "inputs": ["q", "v"]}}]})
    assert model.total == real
    step = next(s for s in derive(model).steps if s.node.name == "mha")
    shown = {sv.symbol.name: (model.evaluate(sv.value), sv.meaning) for sv in step.symbols}
    # d_k, d_v are the per-head sizes (Vaswani et al.); the inputs' feature sizes are E_q, E_k,
    # E_v as in PyTorch's MultiheadAttention (E, kdim, vdim), the output's E_out
    assert shown["d_k"] == (5, "key_dim") and shown["d_v"] == (7, "value_dim")
    assert shown["E_q"][0] == 12 and shown["E_k"][0] == shown["E_v"][0] == 10 and shown["E_out"][0] == 12
    text = markdown(model)
    assert r"$d_{k} = 5$: size of each head's queries and keys (`key_dim`)" in text
    assert r"$E_{q} = 12$: width of the query input" in text and r"^{\text{in}}" not in text
    assert "key_dim when value_dim is not given" in messages.english(messages.SYMBOLS["value_dim"])
    # E_out says where it comes from: Keras's output_shape, by default the query's width (12 here)
    assert r"$E_{\text{out}} = 12$: width of the output (`output_shape`; by default the width of the query input)" in text
    assert "H·d_v = E" in messages.english(messages.NOTES["mha_heads_times_key_dim"])
    assert translated(messages.SYMBOLS["value_dim"]) and translated(messages.SYMBOLS["key_dim"])

def test_keras_mha_formula_one_term_per_projection_then_the_biases():
    """mha_small: 2 heads of 16 on width 32. Keras's kernels are (32, 2, 16) for Q, K, V and
    (2, 16, 32) for O, the biases (2, 16) three times and (32,): by hand, in the order Q, K, V, O
    (Q and K, with the same heads and head size, together; V never paired with O, whose kernel
    is H·d_v·E_out as its shape (2, 16, 32) says), then the biases:
    (32 + 32)·2·16 + 32·2·16 + 2·16·32 + 2·2·16 + 2·16 + 32 = 2,048 + 1,024 + 1,024 + 64 + 32 + 32
    = 4,224."""
    keras = require_module("keras")
    x = keras.Input((16, 32))
    mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=16)
    mha(x, x)
    shapes = [tuple(w.shape) for w in mha.weights]
    assert shapes == [(32, 2, 16), (2, 16)] * 3 + [(2, 16, 32), (32,)]
    assert (32 + 32) * 2 * 16 + 32 * 2 * 16 + 2 * 16 * 32 + 2 * 2 * 16 + 2 * 16 + 32 == mha.count_params() == 4224
    text = markdown(explain.load(FIXTURES / "specs" / "mha_small.yaml"))
    eq = text[text.index("P &="):text.index(r"\end{aligned}")]
    symbolic = " ".join(line.strip(" \\").replace("&\\quad ", "").replace("P &= ", "")
                        for line in eq.split("\n&= (")[0].splitlines())
    assert symbolic == (r"(E_{q} + E_{k}) \cdot H \cdot d_{k} + E_{v} \cdot H \cdot d_{v} + H \cdot d_{v} \cdot "
                        r"E_{\text{out}} + 2H \cdot d_{k} + H \cdot d_{v} + E_{\text{out}}")
    flat = " ".join(eq.replace("&\\quad ", "").replace("\\\\", "").split())
    assert r"(32 + 32) \times 2 \times 16 + 32 \times 2 \times 16 + 2 \times 16 \times 32 + 2 \times 2 \times 16" in flat

@pytest.mark.parametrize("layer, keeps", [("MaxPooling1D", False), ("AveragePooling1D", False),
                                           ("GlobalAveragePooling1D", False), ("GlobalMaxPooling1D", False)])
def test_pooling_never_claims_to_only_change_the_shape(layer, keeps):
    keras = require_module("keras")
    args = {"pool_size": 1, "strides": 1} if "Global" not in layer else {}
    inp = keras.Input((6, 3))
    out = getattr(keras.layers, layer)(**args)(inp)
    step = _steps({"name": "p", "input": [6, 3], "layers": [{layer: {"name": "pool", **args}}]})["pool"]
    assert "only changes the shape" not in step.explanation
    if "Global" in layer:
        assert tuple(out.shape) == (None, 3) and "axes it pools over disappear" in step.explanation
    else:
        assert tuple(out.shape) == (None, 6, 3)  # pool size 1: the shape is kept, the layer still pools

def test_dropout_sets_each_input_to_zero_with_probability_p():
    torch = require_module("torch")
    torch.manual_seed(0)
    drop = torch.nn.Dropout(0.5).train()
    out = drop(torch.ones(10))
    kept = out[out != 0]
    assert torch.allclose(kept, torch.full_like(kept, 2.0))  # the others scaled by 1/(1 − p)
    text = lookup_text("Dropout")
    assert "with probability %(r)s (%(rate)s)" in text and "by %(scale)s" in text and "random fraction" not in text
    assert messages.plain_placeholders()["scale"] == "1/(1 − r)"  # 0.5 gives 2, as torch scaled the kept ones

@pytest.mark.parametrize("fmt, r, rate, scale", [
    ("markdown", "$r = 0.5$", "`rate`", "$1/(1 - r)$"),
    ("latex", "$r = 0.5$", r"\texttt{rate}", "$1/(1 - r)$"),
])
def test_dropout_sentence_typesets_r_as_math_and_rate_as_code(fmt, r, rate, scale):
    """r, not p (p is the padding in the same notes), as math with the layer's own rate
    (dropout_1: rate 0.5); the argument in code font."""
    text = render_document("derivation", explain.load("example:seed-cnn"), lang="en", format=fmt)
    assert f"with probability {r} ({rate}) and multiplies the others by {scale}" in text
    assert "probability p" not in text and "%(" not in text
    for lang in ("de", "fr", "ja", "es"):
        assert translations(lang).gettext(_texts.DROPOUT) != _texts.DROPOUT
        assert "%(r)s" in translations(lang).gettext(_texts.DROPOUT)

def lookup_text(name: str) -> str:
    return keras_type(name).explanation

def test_keras_memory_sentence_says_what_keras_prints():
    keras = require_module("keras")
    import io
    spec = {"name": "tiny", "input": [8], "layers": [{"Dense": {"units": 4}}]}
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4)])
    lines = io.StringIO()
    model.summary(print_fn=lambda line, **_: lines.write(line + "\n"))
    printed = re.search(r"Total params: [\d,]+ \(([\d.]+ \w+)\)", re.sub(r"\x1b\[[\d;]*m", "", lines.getvalue()))
    assert printed and printed.group(1) == "144.00 B"
    text = markdown(explain.load(spec))
    # in bytes (B) no multiple is used, so no binary multiple is explained
    assert "Keras 3's `model.summary()` prints `144.00 B`.\n" in text and "binary multiples" not in text
    assert r"36 \times 4\ \text{bytes} = 144\ \text{bytes}" in text  # 36 = 8 × 4 + 4 parameters
    assert "in units of 1,024 bytes" not in text  # an MB is 1,024² bytes, not 1,024
    assert "writes MB where it means MiB" not in text

def test_keras_memory_is_quoted_verbatim_in_every_language():
    """Keras prints ``23.00 MB`` whatever the reader's locale: a literal output, in code font,
    never 23,00 MB. A 2,300-parameter float32 model has 9,200 bytes = 8.984375 KB (1 KB = 2¹⁰)."""
    spec = {"name": "tiny", "input": [229], "layers": [{"Dense": {"units": 10}}]}
    assert 229 * 10 + 10 == 2300 and round(2300 * 4 / 2**10, 2) == 8.98
    for lang in LANGS:
        text = render_document("derivation", explain.load(spec), lang=lang, format="markdown")
        assert "`8.98 KB`" in text, lang
        assert "8,98 KB" not in text, lang
        assert "1,024" not in text and "1.024" not in text and "1 024" not in text, lang

# -- the reasons a lecturer gives (issue 18)
def test_bias_before_batchnorm_and_moving_statistics_at_inference():
    keras = require_module("keras")
    import numpy as np
    np_ = keras.ops.convert_to_numpy
    bn = keras.layers.BatchNormalization()
    model = keras.Sequential([keras.Input((4,)), bn])
    x = np.arange(8, dtype="float32").reshape(2, 4)
    train = np_(model(x, training=True))
    infer = np_(model(x, training=False))
    assert not np.allclose(train, infer)  # inference uses the moving statistics, not the batch's
    # a bias before BatchNormalization is cancelled: the output does not depend on it (fixed seed and a
    # batch of 16, so that no unit's batch variance is near BatchNormalization's epsilon)
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    conv = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.BatchNormalization()])
    dense = conv.layers[0]
    before = np_(conv(x, training=True))
    dense.bias.assign(np.array([5.0, -2.0, 7.0], dtype="float32"))
    assert np.allclose(before, np_(conv(x, training=True)), atol=1e-4)
    steps = _steps({"name": "c", "input": [8, 8, 3], "layers": [
        {"Conv2D": {"name": "conv", "filters": 4, "kernel_size": 3, "use_bias": False}},
        {"BatchNormalization": {"name": "bn"}},
        {"Conv2D": {"name": "plain", "filters": 4, "kernel_size": 3, "use_bias": False}},
        {"LayerNormalization": {"name": "ln"}}]})
    assert "bias_before_batchnorm" in steps["conv"].notes
    assert "bias_before_batchnorm" not in steps["plain"].notes  # a LayerNormalization follows
    assert "bn_inference_statistics" in steps["bn"].notes
    assert "layernorm_no_statistics" in steps["ln"].notes
    for key in ("bias_before_batchnorm", "bn_inference_statistics", "layernorm_no_statistics"):
        assert translated(messages.NOTES[key])

def test_the_moving_mean_would_include_a_bias_before_batchnorm():
    """The note on a bias left out before batch normalization (round-18 en review): at inference the
    moving mean is subtracted, and it would include the bias, so a bias would cancel out there too.
    Keras: one training step moves the moving mean by (1 − momentum)·(batch mean), bias included."""
    keras = require_module("keras")
    import numpy as np
    np_ = keras.ops.convert_to_numpy
    x = np.random.default_rng(1).normal(size=(16, 4)).astype("float32")
    bias = np.array([5.0, -2.0, 7.0], dtype="float32")
    moved = []
    for b in (np.zeros(3, dtype="float32"), bias):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.BatchNormalization()])
        model.layers[0].bias.assign(b)
        model(x, training=True)
        moved.append(np_(model.layers[1].moving_mean))
    momentum = 0.99  # Keras's default
    assert np.allclose(moved[1] - moved[0], (1 - momentum) * bias, atol=1e-5)
    note = messages.NOTES["bias_before_batchnorm"]
    assert "(at inference, the moving mean, which would include the bias), so a bias would cancel out" in note
    assert translated(note)


def test_layernorm_keeps_no_statistics():
    torch = require_module("torch")
    assert list(torch.nn.LayerNorm(8).buffers()) == []
    assert {n for n, _ in torch.nn.BatchNorm1d(8).named_buffers()} >= {"running_mean", "running_var"}
    step = _steps({"name": "t", "framework": "pytorch", "input": [5, 8], "layers": [
        {"LayerNorm": {"name": "ln", "normalized_shape": 8}}]})["ln"]
    assert "layernorm_no_statistics" in step.notes

def test_layernorm_statistics_are_per_position_over_the_last_axis():
    """LayerNorm(d) on (batch, positions, d): one mean and variance for every position of every
    example, over the last axis, not over all the features of an example."""
    torch = require_module("torch")
    x = torch.randn(2, 3, 8) * torch.arange(1, 7, dtype=torch.float32).reshape(2, 3, 1)
    y = torch.nn.LayerNorm(8, elementwise_affine=False)(x)
    assert torch.allclose(y.mean(-1), torch.zeros(2, 3), atol=1e-5)  # each position on its own
    by_example = (x - x.mean((1, 2), keepdim=True)) / x.std((1, 2), unbiased=False, keepdim=True)
    assert not torch.allclose(y, by_example, atol=1e-3)  # not over the example's whole (3, 8)
    keras = require_module("keras")
    assert keras.layers.LayerNormalization().axis == -1
    # the per-position part is said once, by the sentence the note follows (round-9 reviewers)
    text = messages.NOTES["layernorm_no_statistics"]
    assert "last axis" in text and "position" not in text
    assert "over the features of each sample" not in text
    assert "separately at each position" in _texts.LAYER_NORM
    wanted = {"de": ("letzte Achse", "jeder Position"), "fr": ("dernier axe", "chaque position"),
              "es": ("último eje", "cada posición"), "ja": ("最後の軸", "位置ごと")}
    for lang, (axis, position) in wanted.items():
        s = translations(lang).gettext(text)
        assert axis in s and position not in s, (lang, s)
        assert position in translations(lang).gettext(_texts.LAYER_NORM), lang

def test_skip_connection_and_squeeze_excitation_cost_nothing():
    keras = require_module("keras")
    x = keras.Input((4, 4, 8))
    gate = keras.Input((1, 1, 8))
    out = keras.layers.Multiply()([x, gate])
    assert tuple(out.shape) == (None, 4, 4, 8)  # 1 × 1 × C scales H × W × C
    added = keras.layers.Add()([x, x])
    assert keras.Model([x, gate], [out, added]).count_params() == 0
    model = explain.load({"name": "se", "inputs": {"x": [4, 4, 8], "g": [1, 1, 8]}, "layers": [
        {"Multiply": {"name": "scale", "inputs": ["x", "g"]}}, {"Add": {"name": "skip", "inputs": ["scale", "x"]}}]})
    steps = {s.node.name: s for s in derive(model).steps}
    assert model.total == 0 and steps["scale"].node.output_shape == (4, 4, 8)
    assert "1 × 1 × C" in steps["scale"].explanation and "skip connection" in steps["skip"].explanation
    assert translated(steps["scale"].explanation) and translated(steps["skip"].explanation)

def test_keras_mha_sentences_give_value_dim_columns_and_the_output_width():
    keras = require_module("keras")
    H, key_dim, value_dim, out_width = 2, 5, 7, 9
    q, v = keras.Input((6, 12)), keras.Input((6, 10))
    mha = keras.layers.MultiHeadAttention(num_heads=H, key_dim=key_dim, value_dim=value_dim,
                                          output_shape=out_width)
    real = keras.Model([q, v], mha(q, v)).count_params()
    shapes = {w.path.split("/")[-2]: tuple(w.shape) for w in mha.weights if w.path.endswith("kernel")}
    # query and key: H·key_dim columns; value: H·value_dim; output: the H·value_dim concatenated
    # head outputs to the output width (9, not the query's 12: "projects back" would be false)
    assert shapes["query"][1:] == shapes["key"][1:] == (H, key_dim)
    assert shapes["value"][1:] == (H, value_dim)
    assert shapes["attention_output"] == (H, value_dim, out_width)
    model = explain.load({"name": "m", "inputs": {"q": [6, 12], "v": [6, 10]}, "layers": [
        {"MultiHeadAttention": {"name": "mha", "num_heads": H, "key_dim": key_dim,
                                "value_dim": value_dim, "output_shape": out_width, "inputs": ["q", "v"]}}]})
    assert model.total == real
    text = " ".join(markdown(model).replace("\\_", "_").split())  # Markdown escapes underscores
    # the opening says what the layer does, once; the note adds only why the count grows with H
    assert text.count("the heads' outputs are concatenated and projected to the output width") == 1
    assert (r"Every head has projection weights of its own for the queries and keys ($d_{k}$ outputs "
            r"each) and for the values ($d_{v}$ outputs), so the count grows with the number of heads.") in text
    assert "key and the value to $H" not in text and "outputs back" not in text
    assert translated(messages.NOTES["mha_heads_times_key_dim"])

def _layer_count(model) -> int:
    found = re.search(r"The model has (\d+) layers?(?:, not counting the input layers?[,. (]|; as in Keras, the input layers? (?:is|are) not counted\.)", markdown(model))
    assert found
    return int(found.group(1))

def test_layer_count_sentence_is_true_for_functional_and_sequential_keras_models():
    """Keras 3 lists the InputLayer in a functional model's layers and summary, not in a
    Sequential's: the sentence counts the layers besides the inputs, true of both."""
    keras = require_module("keras")
    x = keras.Input((16, 32))
    attn = keras.layers.MultiHeadAttention(num_heads=2, key_dim=16)(x, x)
    functional = keras.Model(x, keras.layers.LayerNormalization()(keras.layers.Add()([x, attn])))
    sequential = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    inputs = [layer for layer in functional.layers if isinstance(layer, keras.layers.InputLayer)]
    assert len(functional.layers) == 4 and len(inputs) == 1  # Keras counts the InputLayer here
    assert len(sequential.layers) == 2  # and not here
    mha_small = explain.load(FIXTURES / "specs" / "mha_small.yaml")
    assert mha_small.total == functional.count_params()
    assert _layer_count(mha_small) == len(functional.layers) - len(inputs)
    dense = explain.load({"name": "s", "input": [4], "layers": [{"Dense": {"units": 3}},
                                                                 {"Dense": {"units": 2}}]})
    assert dense.total == sequential.count_params()
    assert _layer_count(dense) == len(sequential.layers)

def test_hf_symbol_l_counts_blocks_not_table_rows():
    """GPT-2's n_layer is the number of blocks in transformer.h (each block holds several layers),
    so the symbol L means blocks; the overview table has far fewer rows than L·(layers per block)."""
    transformers = require_module("transformers")
    config = transformers.GPT2Config(n_layer=3, n_embd=32, n_head=2, vocab_size=50, n_positions=16)
    assert len(transformers.GPT2LMHeadModel(config).transformer.h) == 3
    text = markdown(explain.load(str(FIXTURES / "hf" / "gpt2.json")))
    assert "number of transformer blocks" in text
    assert "number of layers" not in text
    assert translated("number of transformer blocks")

def test_gru_reset_after_is_explained_once():
    """Its sentence says the two biases; no note repeats it (3·16·(8 + 16) + 6·16 = 1,248 by hand)."""
    spec = {"name": "g", "input": [5, 8], "layers": [{"GRU": {"units": 16}}]}
    text = markdown(explain.load(spec))
    assert text.count("`reset_after=True`") == 1 and "two biases, one for the input part" in text
    assert "a second bias vector" not in text and "1,248" in text

def test_recurrent_output_shape_gives_the_reason_return_sequences():
    """Keras: LSTM(64, return_sequences=True) on (30, 32) gives (None, 30, 64), GRU(16) then
    (None, 16); each layer says why (the state at every step, or only the last one)."""
    keras = require_module("keras")
    x = keras.Input((30, 32))
    seq = keras.layers.LSTM(64, return_sequences=True)(x)
    last = keras.layers.GRU(16)(seq)
    assert (tuple(seq.shape), tuple(last.shape)) == ((None, 30, 64), (None, 16))
    model = explain.load({"name": "r", "input": [30, 32], "layers": [
        {"LSTM": {"units": 64, "return_sequences": True}}, {"GRU": {"units": 16}}]})
    text = markdown(model)
    lstm, gru = text.split("(LSTM)")[-1].split("(GRU)")[0], text.split("(GRU)")[-1]
    assert "outputs its hidden state at each of the 30 time steps, so the time axis stays" in lstm and "`(None, 30, 64)`" in lstm
    assert "With `return_sequences=False` (the default) the recurrent layer outputs only its hidden state after the last of the 30 time steps, so the time axis disappears" in gru
    assert "`(None, 16)`" in gru
def test_gpt2_block_formula_simplifies_and_no_step_only_respells():
    """A GPT-2 block with f = 4d: 4d² + 2d·4d + 9d + 4d = 12d² + 13d, checked against
    transformers (d = 32, one block) by hand; a declared symbol standing for itself (d = d) is
    no substitution step (3d² = 3·d² only re-spells it)."""
    transformers = require_module("transformers")
    d = 32
    block = transformers.GPT2Model(transformers.GPT2Config(n_embd=d, n_layer=1, n_head=2)).h[0]
    assert _numel(block) == 12 * d * d + 13 * d
    text = markdown(explain.load(FIXTURES / "hf" / "gpt2.json"))
    eq = text[text.index("P_{1} &="):]
    eq = eq[:eq.index(r"\end{aligned}")]
    assert "&= 12d^{2} + 13d" in eq and r"&= 12 \times 768^{2} + 13 \times 768" in eq
    assert r"3d^{2} = 3 \times 768^{2}" in text
    assert r"3 \cdot d^{2}" not in text and r"9 \cdot d" not in text

def test_a_summary_of_blocks_counts_rows_not_layers():
    """GPT-2 has 12 blocks of several layers each; its summary has 6 rows, one of them the stack
    of blocks: the sentence counts rows and says what a row is ("6 layers" was false)."""
    transformers = require_module("transformers")
    cfg = transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / "gpt2.json")
    model = _hf("gpt2")
    text = markdown(model)
    rows = [line for line in text.split("## Summary")[1].split("Total:")[0].splitlines()
            if line.startswith("| ") and not line.startswith(("| Layer", "| ---"))]
    assert len(rows) == len(model.nodes) == 6 and cfg.n_layer == 12
    # the blocks have weights of their own, so they are "of the same structure", not identical; and
    # PyTorch has no convention for rows of a summary, so none is named
    assert ("The model consists of two embedding layers, twelve transformer blocks, a final normalization and the LM "
            "head. In the summary table below, the row `transformer.h` stands for the $L = 12$ blocks, one after the "
            "other; the model's inputs are not listed.") in text
    assert "conventions" not in text.split("## Summary")[0] and "identical blocks" not in text
    assert "The model has 6 layers" not in text

BLOCK_PARTS = {
    # block sentence → module names it cites, each checked in the real transformers block
    "gpt2": ("GPT2_BLOCK_GELU_TANH", ["ln_1", "attn.c_attn", "attn.c_proj", "ln_2", "mlp.c_fc", "mlp.c_proj"]),
    "bert-base-uncased": ("BERT_BLOCK", ["attention.self.query", "attention.output.dense",
                                         "intermediate.dense", "output.dense"]),
    "llama-2-7b": ("LLAMA_BLOCK", ["input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                   "self_attn.o_proj", "post_attention_layernorm", "mlp.gate_proj",
                                   "mlp.up_proj", "mlp.down_proj"]),
}

@pytest.mark.parametrize("name", list(BLOCK_PARTS))
def test_each_block_says_what_it_consists_of(name):
    transformers = require_module("transformers")
    torch = require_module("torch")
    key, parts = BLOCK_PARTS[name]
    cfg = transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / f"{name}.json")
    cfg.num_hidden_layers = 1
    with torch.device("meta"):
        base = transformers.AutoModel.from_config(cfg)
    block = {"gpt2": lambda m: m.h[0], "bert-base-uncased": lambda m: m.encoder.layer[0],
             "llama-2-7b": lambda m: m.layers[0]}[name](base)
    modules = dict(block.named_modules())
    sentence = getattr(_texts, key)
    english = messages.english(sentence)
    for part in parts:
        # GPT-2's sentence gives every module by its path in the block (attn.c_attn as attn.c_proj)
        assert part in modules and (part if name == "gpt2" else part.split(".")[-1]) in english, part
    step = next(s for s in derive(_hf(name)).steps if s.role == "transformer_block")
    assert step.explanation == sentence and translated(sentence)
    assert "the weight groups below list the parts" not in sentence
    d = cfg.hidden_size
    f = getattr(cfg, "n_inner", None) or getattr(cfg, "intermediate_size", None) or 4 * d
    if name == "gpt2":  # Conv1D: (n_in, n_out)
        # the fused Q, K, V matrix is said once, by the note; the block sentence names c_attn only
        assert tuple(modules["attn.c_attn"].weight.shape) == (d, 3 * d) and "d × 3d" not in english
        assert "d × 3d" in messages.english(messages.NOTES["gpt2_fused_qkv"])
        assert tuple(modules["mlp.c_fc"].weight.shape) == (d, f)
    if name == "llama-2-7b":  # RMSNorm: a scale only; three d × f matrices
        assert [n for n, _ in modules["input_layernorm"].named_parameters()] == ["weight"]
        assert "no shift, no centering" in english
        assert tuple(modules["mlp.gate_proj"].weight.shape) == (f, d) == tuple(modules["mlp.up_proj"].weight.shape)

def test_t5_blocks_say_encoder_and_decoder_parts():
    transformers = require_module("transformers")
    torch = require_module("torch")
    with torch.device("meta"):
        t5 = transformers.T5Model(transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / "t5-small.json"))
    enc = dict(t5.encoder.block[0].named_modules())
    dec = dict(t5.decoder.block[0].named_modules())
    assert "layer.1.EncDecAttention" in dec and not any("EncDecAttention" in n for n in enc)
    assert not [n for n, _ in t5.named_parameters() if n.endswith(".bias") and "relative_attention_bias" not in n]
    steps = {s.node.name: s for s in derive(_hf("t5-small")).steps}
    assert steps["encoder.block"].explanation == _texts.T5_ENCODER_BLOCK
    assert steps["decoder.block"].explanation == _texts.T5_DECODER_BLOCK
    enc_text, dec_text = messages.english(_texts.T5_ENCODER_BLOCK), messages.english(_texts.T5_DECODER_BLOCK)
    assert "EncDecAttention" in dec_text and "EncDecAttention" not in enc_text
    for text in (_texts.T5_ENCODER_BLOCK, _texts.T5_DECODER_BLOCK):
        # the relative position bias is the one bias-like table (asserted above on the real model)
        assert "linear layers and the normalizations of T5 have no biases; the relative position bias is a " \
               "separate table." in text and translated(text)

@pytest.mark.parametrize("name, tied", [("gpt2", True), ("llama-2-7b", False)])
def test_a_tied_head_says_it_adds_nothing_and_why(name, tied):
    text = markdown(_hf(name))
    head = text[text.index(". `lm_head` (Linear)"):]
    head = head[:head.index("##", 3)]
    if tied:  # hf.lm_head.weight is wte.weight: test_the_lm_head_says_whether_it_is_tied
        assert "(tied weights)" in head and "so the head adds 0 parameters" in head
        assert r"$V \times d$ matrix" in head and r"saves $V \cdot d$ parameters" in head
        assert "This one has no bias" not in head
        # transformers' GPT2LMHeadModel.lm_head is Linear(d, V, bias=False): the head says so
        transformers = require_module("transformers")
        torch = require_module("torch")
        with torch.device("meta"):
            hf = transformers.GPT2LMHeadModel(
                transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / f"{name}.json"))
        assert hf.lm_head.bias is None
        assert "This LM head has no bias: it computes a score" in head
        msgid = [m for m in translations("de")._catalog if isinstance(m, str) and m.startswith("This LM head")]
        assert msgid and translated(msgid[0])
    else:
        assert "(tied weights)" not in head and "This one has no bias" in head

def test_large_totals_are_substituted_term_by_term():
    """GPT-2's total, checked against transformers (meta device), line by line: each term with
    its numbers and value; the values add up to the total."""
    transformers = require_module("transformers")
    torch = require_module("torch")
    cfg = transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / "gpt2.json")
    with torch.device("meta"):
        hf = transformers.GPT2LMHeadModel(cfg)
    real = sum(p.numel() for p in hf.parameters())  # tied: the shared tensor once
    text = markdown(_hf("gpt2"))
    block = text[text.index("Each term with the values substituted, then their sum:"):]
    block = block[block.index(r"\begin{aligned}"):block.index(r"\end{aligned}")]
    lines = [line for line in block.splitlines()[1:] if "&=" in line]
    values = []
    for line in lines[:-2]:
        term, numbers = line.split("&=")
        assert term.strip() and " = " in numbers  # formula &= numbers = value
        values.append(int(numbers.rsplit("=", 1)[1].strip(" \\").replace("{,}", "")))
    # no brackets around a product of numbers that is itself a factor (round 18, ja lecturer)
    assert "12L \\cdot d^{2} &= 12 \\times 12 \\times 768^{2} = 84{,}934{,}656" in block
    assert sum(values) == real == 124_439_808
    # then their sum, number by number, and the total
    assert lines[-2].strip() == ("P &= 84{,}934{,}656 + 119{,}808 + 786{,}432 + 38{,}597{,}376 + 1{,}536 \\\\")
    assert lines[-1].strip() == "&= 124{,}439{,}808"

@pytest.mark.parametrize("name", ["gpt2", "bert-base-uncased", "llama-2-7b", "t5-small"])
def test_block_sentences_use_only_symbols_the_block_defines(name):
    """Llama-2-7B has as many key/value heads as query heads, so its block shows no H_kv; its
    sentence must not name one (the symbols a sentence may use are the block's own)."""
    for step in derive(_hf(name)).steps:
        if step.role != "transformer_block":
            continue
        defined = {sv.symbol.name for sv in step.symbols}
        sentence = messages.english(step.explanation).replace("H·d_kv", "H d_kv")
        used = set(re.findall(r"\b(H_kv|d_h|d_kv|d_k|d_v|f|H|d)\b", sentence))
        assert used <= defined, (name, used - defined)

def test_gpt2_defines_its_symbols_before_it_uses_them_and_names_the_sum_row():
    """gpt2.json (transformers' GPT-2 small): vocab_size 50,257, n_positions 1,024, n_embd 768,
    n_layer 12. The intro lists them before the tied-head sentence uses V and d; one block's P_1
    (12d² + 13d) does not depend on L, so L is not in its list; the sum of wte and wpe is no
    framework class and is named for what it is."""
    import json
    cfg = json.loads((FIXTURES / "hf" / "gpt2.json").read_text())
    assert (cfg["vocab_size"], cfg["n_positions"], cfg["n_embd"], cfg["n_layer"]) == (50257, 1024, 768, 12)
    text = markdown(_hf("gpt2"))
    intro = text[:text.index("## Summary")]
    listed = intro.index("The symbols of this model, with the values of its configuration:")
    for line in (r"- $V = 50{,}257$: vocabulary size", r"- $d = 768$: model width",
                 r"- $T = 1{,}024$: number of positions", r"- $L = 12$: number of transformer blocks"):
        assert intro.index(line) > listed, line
    assert intro.index(r"- $V = 50{,}257$") < intro.index("The LM head is tied") < text.index("## Summary")
    block = text[text.index(". `transformer.h` (GPT2Block)"):text.index(". `transformer.ln_f` (LayerNorm)")]
    assert r"- $d = 768$: model width" in block and "$L = 12$:" not in block
    assert r"The block is repeated $L = 12$ times" in block
    assert "AddEmbeddings" not in text
    assert "| `transformer.wte + transformer.wpe` (sum of the embeddings) |" in text
    assert "### 3. `transformer.wte + transformer.wpe` (sum of the embeddings)" in text
    assert translated(_texts.ADD_EMBEDDINGS_LABEL)
    assert translated("The symbols of this model, with the values of its configuration:")

@pytest.mark.parametrize("name", ["gpt2", "bert-base-uncased", "llama-2-7b", "t5-small"])
def test_block_sentences_set_symbols_as_math_and_names_as_code(name):
    """The block sentences name weights in code font and symbols as math; the fused Q, K, V matrix
    (GPT-2) and the d × d projections (BERT) are said once, in the note, not again in the sentence."""
    text = markdown(_hf(name))
    step = next(s for s in derive(_hf(name)).steps if s.role == "transformer_block")
    heading = f". `{step.node.name}` ("  # the heading, not the summary row
    block = text[text.index(heading):]
    sentence = block.split("\n\n")[1]
    assert "$" in sentence, sentence  # symbols as math
    for plain in (" d ", " f ", " d,", "d × ", "H·d", " γ "):
        assert plain not in sentence, (plain, sentence)
    assert "`" in sentence  # weight names in code font
    if name == "gpt2":
        assert text.count(r"$d \times 3d$") == 1  # the note on c_attn
        assert "`ln_1`" in sentence and "`attn.c_proj`" in sentence and "`mlp.c_proj`" in sentence
    if name == "bert-base-uncased":
        assert text.count(r"$d \times d$") == 1  # the note on the four projections
    if name == "t5-small":
        assert r"$H \cdot d_{\text{kv}}$" in sentence and r"$\gamma$" in sentence

def test_layer_norm_links_gamma_and_beta_to_the_tensors_in_the_table():
    """Keras's LayerNormalization stores γ and β as gamma and beta, PyTorch's LayerNorm as weight
    and bias (one each per normalized feature, 32 here); each document says which is which."""
    keras = require_module("keras")
    torch = require_module("torch")
    ln = keras.layers.LayerNormalization()
    ln.build((None, 16, 32))
    assert [w.name for w in ln.weights] == ["gamma", "beta"] and ln.count_params() == 2 * 32
    assert [n for n, _ in torch.nn.LayerNorm(768).named_parameters()] == ["weight", "bias"]
    text = markdown(explain.load(FIXTURES / "specs" / "mha_small.yaml"))
    assert r"$\gamma$ (`gamma`) and $\beta$ (`beta`) hold one scale and one shift for each normalized feature." in text
    assert r"$C = 32$: number of features normalized together" in text
    gpt2 = markdown(_hf("gpt2"))
    assert r"In PyTorch, $\gamma$ is the parameter `weight` and $\beta$ the parameter `bias`" in gpt2
    assert translated(messages.NOTES["keras_ln_names"]) and translated(messages.NOTES["torch_ln_names"])
    assert translated(messages.SYMBOLS["normalized_features"])

CELLS = [("keras", "SimpleRNNCell"), ("keras", "LSTMCell"), ("keras", "GRUCell"),
         ("pytorch", "RNNCell"), ("pytorch", "LSTMCell"), ("pytorch", "GRUCell")]

@pytest.mark.parametrize("framework, name", CELLS, ids=[f"{f}-{n}" for f, n in CELLS])
def test_recurrent_cells_say_what_they_compute_like_the_layers(framework, name):
    """A cell computes its state for one time step (not "computes one time step"), from the
    current input and its previous state, as the layers' sentences say; a PyTorch cell is not
    applied by a layer (nn.LSTM has weights of its own), so its sentences do not say so."""
    cls = keras_type(name) if framework == "keras" else torch_type(name)
    texts = [t for t in (cls.explanation, cls.explanation_no_bias, getattr(cls, "explanation_reset_after", None)) if t]
    for text in texts:
        assert "computes its state for one time step from the current input and its previous state" in text
        assert "computes one time step" not in text
        assert ("a recurrent layer applies it" in text) == (framework == "keras")
        assert "(the gates and the candidate)" not in text
        assert translated(text)

def test_lenet5_says_how_the_1998_network_differs_and_no_other_model_does():
    """LeCun et al. (1998), table I: C3's 16 maps take 3 of S2's maps (six of them), 4 (nine)
    and 6 (one): 60 kernels of 5 × 5 and 16 biases. S2 and S4: a coefficient and a bias per map."""
    c3_original = (6 * 3 + 9 * 4 + 1 * 6) * 5 * 5 + 16
    c3_here = 5 * 5 * 6 * 16 + 16
    md = markdown(explain.load("example:lenet5"))
    # the last of C3's 16 maps takes all six: "each of its 16 maps … only some" was false
    # round 13: "6" and "six" in one sentence, "the last one" vague: the 16th map takes all 6
    assert ("C3 connects 15 of its 16 feature maps to only some of the 6 maps of S2 and the 16th to "
            f"all 6, following a connection table: {c3_original:,} parameters instead of {c3_here:,}.") in md
    assert f": {2 * 6} parameters in S2 and {2 * 16} in S4, whereas the average pooling here has none." in md
    # the three differences are a list after the sentence that announces them; the RBF layer's
    # fixed vectors: one of F6's 84 entries per unit, 10 units
    # round 11: the original also differs in its activations (scaled tanh, sigmoid after the
    # subsampling); the three listed are the differences that change the parameter count
    assert "differs from it in three places that change the parameter count:\n\n- C3 connects" in md
    assert "The output layer is made of radial basis function (RBF) units" in md
    assert ("each of the 10 units computes the squared Euclidean distance between the 84 outputs of F6 "
            f"and its own parameter vector. These {10 * 84} numbers were chosen by hand and, at least "
            "initially, kept fixed; there is no bias.") in md
    assert "LeCun" not in markdown(explain.load("example:seed-cnn"))
    for key in ("lenet5_original", "lenet5_c3", "lenet5_subsampling", "lenet5_rbf", "lenet5_same"):
        assert translated(messages.MODEL_NOTES[key])

def test_gpt2_block_defines_p1_and_shows_f_put_in():
    """GPT-2's config leaves n_inner unset, so f = 4d; one block has 4d² + 2d·f + 9d + f
    parameters, with f = 4d put in 4d² + 2d·4d + 9d + 4d = 12d² + 13d. P_1 (one block) is named
    in the list of symbols, since the block stands for L = 12 of them."""
    text = render_document("derivation", explain.load(FIXTURES / "hf" / "gpt2.json"), lang="en", format="markdown")
    section = _section(text, "transformer.h")
    assert r"&= 4d^{2} + 2d \cdot (4d) + 9d + 4d \\" + "\n" + r"&= 12d^{2} + 13d \\" in section
    assert "- $P_{1}$: number of parameters of one block\n" in section
    assert "$P_{1}$:" not in _section(text, "transformer.wte")

def test_lstm_names_its_weight_groups_as_its_factor_note_does_and_n_in_is_per_time_step():
    """The input size is n_in (as Dense's), never i, the input gate's letter; the kernel's size in
    Keras's order (n_in, 4h): 3 × 4 · 4 = 48 by hand."""
    text = markdown(explain.load({"name": "l", "input": [5, 3], "layers": [{"LSTM": {"units": 4}}]}))
    assert "Each of its weight groups (the three gates and the cell candidate)" in text
    assert "three gates (input, forget and output) and a cell candidate" in text
    assert r"$n_{\text{in}} = 3$: number of input features per time step" in text
    assert r"| `kernel` | $n_{\text{in}} \cdot 4h = 3 \times 4 \times 4$ | 48 |" in text
    assert "$i = " not in text and "(i + h)" not in text

def test_flatten_keeps_the_batch_axis_and_a_bias_free_conv_says_so_once():
    keras = require_module("keras")
    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Flatten()])
    assert tuple(model.output_shape) == (None, 48)  # the batch axis stays, 4 × 4 × 3 per example
    assert "the batch axis is kept" in _texts.FLATTEN and translated(_texts.FLATTEN)
    text = markdown(explain.load(FIXTURES / "keras" / "MobileNetV2.json"))
    conv1 = text.split("### 1. `Conv1`")[1].split("### 2.")[0]
    assert conv1.count("no bias") == 1
    assert "The bias is left out because batch normalization follows:" in conv1


def test_bert_pooler_first_token_is_an_operation_of_the_forward_pass():
    """transformers' BertPooler takes hidden_states[:, 0] in its forward: no module, no class
    named FirstToken; the row is labelled as the operation it is."""
    require_module("transformers")
    from transformers.models.bert import modeling_bert
    assert not hasattr(modeling_bert, "FirstToken")
    assert not any(isinstance(m, type) and m.__name__ == "FirstToken" for m in vars(modeling_bert).values())
    text = markdown(_hf("bert-base-uncased"))
    assert "FirstToken" not in text
    assert "[CLS] token (first token of the sequence)" in text  # plain text: no module path
    assert "not a module of its own in PyTorch" in text
    assert translated(_texts.FIRST_TOKEN_LABEL) and translated(_texts.FIRST_TOKEN)


def test_attention_inputs_are_named_by_their_roles():
    """Keras's attention layers take (query, value, key=None) and use the value as the key when no
    key is given; nn.MultiheadAttention takes (query, key, value). One tensor in every role is
    self-attention; an Add's inputs are listed in order, joined with 、 in Japanese."""
    import inspect
    keras = require_module("keras")
    torch = require_module("torch")
    assert list(inspect.signature(keras.layers.MultiHeadAttention.call).parameters)[1:4] == ["query", "value", "key"]
    assert list(inspect.signature(torch.nn.MultiheadAttention.forward).parameters)[1:4] == ["query", "key", "value"]
    text = markdown(explain.load(FIXTURES / "specs" / "mha_small.yaml"))
    assert ("It is called with `x` as both query and value; the key is not given and defaults to the "
            "value. Since all three are the same tensor, this is self-attention.") in text
    assert "Its inputs: `x`, `attn`." in text
    ja = render_document("derivation", explain.load(FIXTURES / "specs" / "mha_small.yaml"), lang="ja", format="markdown")
    assert "入力：`x`、`attn`。" in ja
    cross = {"name": "cross", "inputs": {"q": [4, 8], "kv": [6, 8]}, "layers": [
        {"MultiHeadAttention": {"name": "att", "num_heads": 2, "key_dim": 4, "inputs": ["q", "kv"]}}]}
    assert ("It is called with query `q` and value `kv`; the key is not given and defaults to the "
            "value.") in markdown(explain.load(cross))
    torch_self = {"name": "t", "framework": "pytorch", "inputs": {"x": [5, 8]}, "layers": [
        {"MultiheadAttention": {"name": "att", "embed_dim": 8, "num_heads": 2, "inputs": ["x", "x", "x"]}}]}
    assert "Its inputs: query `x`, key `x`, value `x` (self-attention: all three are the same)." in \
        markdown(explain.load(torch_self))
    for msgid in (_texts.INPUTS_QUERY_VALUE_SELF, _texts.INPUTS_QUERY_VALUE, _texts.INPUTS_QUERY_VALUE_KEY_SELF,
                  _texts.INPUTS_QUERY_VALUE_KEY, _texts.INPUTS_QUERY_KEY_VALUE_SELF, _texts.INPUTS_QUERY_KEY_VALUE):
        assert translated(msgid)


def test_pooler_dense_says_tanh_follows_and_t5_bias_axes_are_query_and_key():
    """BertPooler: dense (d × d + d) then nn.Tanh, which has no parameters; T5's relative
    position bias: compute_bias(q, k) gives (1, H, q, k) from a (q, k, H) lookup, no batch axis."""
    transformers = require_module("transformers")
    torch = require_module("torch")
    with torch.device("meta"):
        bert = transformers.BertModel(transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / "bert-base-uncased.json"))
    assert isinstance(bert.pooler.activation, torch.nn.Tanh) and _numel(bert.pooler.activation) == 0
    steps = {s.node.name: s for s in derive(_hf("bert-base-uncased")).steps}
    assert "pooler_tanh" in steps["pooler.dense"].notes
    assert not any("pooler_tanh" in s.notes for n, s in steps.items() if n != "pooler.dense")
    assert translated(messages.NOTES["pooler_tanh"])
    t5 = transformers.T5Model(transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / "t5-small.json"))
    attn = t5.encoder.block[0].layer[0].SelfAttention
    assert tuple(attn.compute_bias(3, 5).shape) == (1, 8, 3, 5)  # no batch axis: queries, keys
    text = markdown(_hf("t5-small"))
    assert tuple(attn.relative_attention_bias.weight.shape) == (32, 8)  # N_b buckets × H heads
    assert ("This layer's weight is a table of $N_{b} \\cdot H$ biases: one row for each of the $N_{b}$ "
            "relative-position buckets, one bias for each of the $H$ heads.") in text
    assert ("The axes of the output `(None, None, 8)` are the query position, the key position and the head; "
            "it has no batch axis.") in text


def test_a_parameter_count_lists_only_the_symbols_it_uses():
    """Llama's T (max_position_embeddings) counts no parameter (RoPE has none): it is not listed,
    but the compute section, whose formulas use T, lists it; GPT-2's T·d position table keeps it."""
    llama = markdown(_hf("llama-2-7b"))
    symbols = llama[llama.index("The symbols of this model"):llama.index("## Summary")]
    assert "$T = " not in symbols and "$V = 32{,}000$" in symbols
    with_compute = render_document("derivation", _hf("llama-2-7b"), lang="en", format="markdown",
                                   count=("params", "compute"))
    assert "$T = 4{,}096$: number of positions" in with_compute
    gpt2 = markdown(_hf("gpt2"))
    assert "$T = 1{,}024$: number of positions" in gpt2[:gpt2.index("## Summary")]

@pytest.mark.parametrize("axis, last", [(-1, True), (2, True), ([2], True), (1, False), ([1, 2], False)])
def test_layernorm_last_axis_note_reads_the_normalised_axes(axis, last):
    """On a (batch, 5, 8) input, axis=2 is the last axis as axis=-1 is (Keras gives both one γ of
    the last axis's 8; axis=1 and [1, 2] another): the note says "the last axis" for both (it
    tested -1 only)."""
    keras = require_module("keras")
    layer = keras.layers.LayerNormalization(axis=axis)
    layer.build((None, 5, 8))
    assert (tuple(layer.gamma.shape) == (8,)) == last
    step = _steps({"name": "t", "input": [5, 8], "layers": [
        {"LayerNormalization": {"name": "ln", "axis": axis}}]})["ln"]
    wanted, other = ("layernorm_no_statistics", "layernorm_no_statistics_axes")[::1 if last else -1]
    assert wanted in step.notes and other not in step.notes
