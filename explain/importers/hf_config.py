"""Hugging Face ``config.json``: the architecture as transformers builds it, with the config's
hyperparameters kept as symbols.

Families: gpt2, bert, distilbert, llama, mistral, qwen2, gemma, t5, and roberta, qwen3 and
mixtral (mixture of experts). ``architectures`` picks the
base model or a head (``…LMHeadModel``, ``…ForCausalLM``, ``…ForMaskedLM``, classification
heads); without it the base model is built. The repeated encoder/decoder block is one node with
``repeat = L``, so the total is a closed form in L; GPT-2's is V·d + T·d + L·(12d² + 13d) + 2d.

Symbols (declared with the config's values; ``--set`` changes them):

    V vocabulary   T positions   d width   L layers   f feed-forward size   H heads
    H_kv key/value heads   d_h head size   d_kv T5 head size   V_type BERT token types
    N_b T5 relative-attention buckets   L_dec T5 decoder layers   n_labels classification labels
    n_x Mixtral experts

A size that the config states but that equals what transformers would derive anyway is written
as that derivation, so the formula stays short and ``--set`` moves it along: ``head_dim = d/H``,
``num_key_value_heads = H``, ``num_decoder_layers = L``, GPT-2's ``n_inner = 4d``.

A tied LM head (``tie_word_embeddings``) is a node that shares the token embedding: counted once.
"""
from __future__ import annotations

import importlib
from dataclasses import fields
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, Mapping, Sequence, TypeVar

import sympy

from ..errors import ExplainError
from ..layers.base import ArgContext, Layer, Shape
from ..layers import hf_blocks
from ..layers.hf_blocks import BertLayer, PoolerDense, RobertaLayer, XLMRobertaLayer, rms_norm_as
from ..layers.registry import make
from ..model import GraphBuilder, Model
from ..symbols import Value, sym

_MISSING = object()
SEQ = None  # the sequence length: any


class _Config:
    """Typed access to a config dict: every problem is an ExplainError naming the field."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    def get(self, *keys: str, default: Any = _MISSING) -> Any:
        for k in keys:
            if k in self.raw and self.raw[k] is not None:
                return self.raw[k]
        if default is _MISSING:
            raise ExplainError(f"the config has no '{keys[0]}'")
        return default

    def size(self, *keys: str, default: Any = _MISSING) -> Any:
        v = self.get(*keys, default=default)
        if v is None:
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ExplainError(f"'{keys[0]}' must be a positive whole number. Received: {keys[0]}={v!r}")
        return v

    def flag(self, key: str, default: bool) -> bool:
        v = self.get(key, default=default)
        if not isinstance(v, bool):
            raise ExplainError(f"'{key}' must be true or false. Received: {key}={v!r}")
        return v

    def text(self, key: str, default: str) -> str:
        v = self.get(key, default=default)
        if not isinstance(v, str):
            raise ExplainError(f"'{key}' must be text. Received: {key}={v!r}")
        return v

    def rate(self, *keys: str, default: float) -> float:
        """The highest of the dropout rates ``keys`` (each its default where not given)."""
        rates = [self.get(k, default=default) for k in keys]
        for k, v in zip(keys, rates):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
                raise ExplainError(f"'{k}' must be a number from 0 to 1. Received: {k}={v!r}")
        return max(rates)

    def labels(self) -> int:
        if "num_labels" in self.raw and self.raw["num_labels"] is not None:
            return self.size("num_labels")
        id2label = self.raw.get("id2label")
        if id2label is not None:
            if not isinstance(id2label, dict) or not id2label:
                raise ExplainError(f"'id2label' must map ids to labels. Received: id2label={id2label!r}")
            return len(id2label)
        return 2


MEANINGS = {
    "V": "vocabulary", "T": "positions", "d": "model_width", "L": "num_blocks", "f": "feed_forward",
    "H": "heads", "H_kv": "kv_heads", "d_h": "head_size", "d_kv": "kv_head_size", "N_b": "buckets",
    "V_type": "type_vocabulary", "L_dec": "decoder_layers", "n_labels": "labels", "n_x": "experts",
    "E": "embedding_size", "f_dec": "decoder_feed_forward", "P": "patch_size", "n_p": "patches",
    "M": "mel_bins", "T_src": "source_positions", "S": "encoder_positions", "d_vis": "vision_width", "L_vis": "vision_layers",
    "f_vis": "vision_feed_forward", "p": "projection",
    "C": "channels", "k_x": "experts_per_token", "f_x": "expert_feed_forward", "f_s": "shared_expert_feed_forward",
    "n_s": "shared_experts", "k_d": "first_dense_layers", "r_q": "query_rank", "r_kv": "kv_rank",
    "d_n": "nope_head_size", "d_r": "rope_head_size", "d_v": "value_head_size",
    "P_t": "temporal_patch_size", "m_s": "spatial_merge_size", "d_m": "merger_width",
    "L_g": "vision_global_layers", "n_tile": "tiles", "n_ar": "aspect_ratios", "d_o": "vision_output_width",
    "n_c": "cross_attention_layers",
}
"""What each symbol declared from a config stands for (the derivation's meaning keys)."""


class _Builder:
    """Declares symbols and adds PyTorch layers whose sizes are expressions in them."""

    def __init__(self, name: str, path: str | None, overrides: Mapping[str, int] | None) -> None:
        self.name, self.path = name, path
        self.overrides = dict(overrides or {})
        self.values: dict[sympy.Symbol, int] = {}
        self.used_overrides: set[str] = set()
        self.graph: GraphBuilder | None = None
        self.notes: list[tuple[str, tuple[tuple[str, str | int], ...]]] = []
        """Model notes (message keys, arguments) the family's derivation begins with."""
        self.prefix: str | None = None
        """While a part of a composite model is built (``part``): the prefix of its layers' names."""
        self.context: int | None = None
        """The context length the config states (compute's T where no weight depends on it)."""
        self.compute_context: int | None = None
        """The length compute counts at where the config states none and the family has a
        usual one (T5's pre-training length); no shape or symbol takes it."""
        self.meanings: dict[str, str] = {}
        """Meanings of symbols the family writes in others (GPT-2's f = 4d, n_inner unset)."""

    def declare(self, name: str, value: int) -> sympy.Symbol:
        s = sym(name)
        if name in self.overrides:
            value = self.overrides[name]
            self.used_overrides.add(name)
        self.values[s] = value
        return s

    def symbol(self, name: str) -> sympy.Symbol:
        """A symbol declared before (by a part of a composite model)."""
        s = sym(name)
        if s not in self.values:
            raise RuntimeError(f"the symbol {name} was not declared")
        return s

    def start(self) -> GraphBuilder:
        """The graph the family adds its layers to (within ``part``, the composite's, whose layers'
        names the part's prefix begins)."""
        if self.prefix is not None:
            if self.graph is None:
                self.graph = GraphBuilder(self.name, "pytorch", self.values, source=self.path)
            self.graph.model.symbols.update(self.values)  # the part's symbols, declared since
            return _PartGraph(self.graph, self.prefix)  # type: ignore[return-value]
        if sym("T") not in self.values and (self.context is not None or "T" in self.overrides):
            # no weight depends on it (rotary positions): T is the length compute counts at
            self.declare("T", self.context or 0)
        self.check_overrides()
        self.graph = GraphBuilder(self.name, "pytorch", self.values, source=self.path)
        return self.graph

    def check_overrides(self) -> None:
        unknown = set(self.overrides) - self.used_overrides
        if unknown:
            declared = ", ".join(s.name for s in self.values) or "none"
            name = sorted(unknown)[0]
            raise ExplainError(f"--set {name}=…: '{name}' is not a declared symbol (declared: {declared})")

    @contextmanager
    def part(self, prefix: str) -> Iterator[None]:
        """Builds a part of a composite model (a multimodal model's vision tower, projector or
        language model): the layers that ``start()``'s graph gets are named ``prefix`` + name."""
        saved, self.prefix = self.prefix, prefix
        try:
            yield
        finally:
            self.prefix = saved


    def whole(self, value: Value, what: str) -> Value:
        """``value`` must be a whole number with the symbols' values (d/H with d divisible by H)."""
        if isinstance(value, int):
            return value
        n = value.xreplace({s: sympy.Integer(v) for s, v in self.values.items()})
        if not n.is_Integer or n <= 0:
            names = ", ".join(f"{s}={self.values[s]}" for s in sorted(value.free_symbols, key=str))
            raise ExplainError(f"{what} = {value} is not a positive whole number ({names})")
        return value

    def torch(self, type_name: str, **args: Any) -> Layer:
        """A torch.nn layer of the library, its sizes given as expressions in the symbols."""
        ctx = ArgContext({s.name: s for s in self.values}, self.values)
        raw = {k: (v if isinstance(v, (bool, int, str)) or v is None else str(v)) for k, v in args.items()}
        return make(type_name, raw, ctx, framework="pytorch")


class _PartGraph:
    """A composite model's graph as one part sees it: layer names and references get the part's
    prefix; inputs (``input_ids``, ``pixel_values``) are the model's, added once."""

    def __init__(self, graph: GraphBuilder, prefix: str) -> None:
        self.graph, self.prefix = graph, prefix

    def _ref(self, name: str) -> str:
        return name if name in self.graph.model.inputs else self.prefix + name

    def add_input(self, name: str, shape: Shape) -> None:
        if name in self.graph.model.inputs:
            self.graph.select(name)
        else:
            self.graph.add_input(name, shape)

    def add(self, name: str, layer: Layer, inputs: Sequence[str] | None = None, shares: str | None = None,
            repeat: Value = 1) -> Any:
        return self.graph.add(self.prefix + name, layer, None if inputs is None else [self._ref(i) for i in inputs],
                              shares=None if shares is None else self._ref(shares), repeat=repeat)

    def draw(self, name: str, feeds: Sequence[str], cross: str | None = None) -> None:
        self.graph.draw(self.prefix + name, [self._ref(i) for i in feeds], cross and self._ref(cross))

def load_hf_config(parsed: dict, path: str | None = None,
                   overrides: Mapping[str, int] | None = None, architecture: str | None = None) -> Model:
    """A model from a parsed Hugging Face ``config.json``; ``architecture`` (a class name) builds
    that class instead of the one the config names."""
    try:
        return _load(parsed, path, overrides, architecture)
    except ExplainError as e:
        raise e.located(file=path) from None


FAMILIES: dict[str, Callable[[_Config, str, _Builder], None]] = {}
BASES: dict[str, str] = {}
"""model_type → the base model's class (no head), built when the config names no architecture."""
_PREFIXES = {"GPT2": "gpt2", "Bert": "bert", "Roberta": "roberta", "DistilBert": "distilbert", "Llama": "llama",
             "Mistral": "mistral", "Mixtral": "mixtral", "Qwen2": "qwen2", "Qwen3": "qwen3", "Gemma": "gemma",
             "T5": "t5", "XLMRoberta": "xlm-roberta", "MT5": "mt5"}


FAMILY_MODULES = ("hf_config", "hf_decoders", "hf_moe", "hf_encoders", "hf_multimodal")
"""The modules (in this package) whose builders register themselves with ``_family``."""


def family_builder(model_type: str) -> Callable[[_Config, str, _Builder], None] | None:
    """The builder of ``model_type``, importing only the module ``_hf_index.py`` names for it (a
    config needs one family; importing every family's blocks costs a third of a Llama run); a
    type the index lacks imports every family module."""
    if model_type not in FAMILIES:
        from ._hf_index import MODULES
        module = MODULES.get(model_type)
        if module is not None:
            importlib.import_module(f"{__package__}.{module}")
        if model_type not in FAMILIES:
            load_families()
    return FAMILIES.get(model_type)


def load_families() -> dict[str, Callable[[_Config, str, _Builder], None]]:
    """Every family registered (FAMILIES complete)."""
    for module in FAMILY_MODULES:
        importlib.import_module(f"{__package__}.{module}")
    return FAMILIES


def write_index() -> Path:
    """Regenerate ``_hf_index.py`` (run ``python -m explain.importers.hf_config`` after adding a family)."""
    path = Path(__file__).resolve().parent / "_hf_index.py"
    lines = ['"""Which module registers the builder of each Hugging Face model_type: generated by',
             '``python -m explain.importers.hf_config``; a hint for fast start-up (a type it lacks imports',
             'every family)."""', "", "MODULES: dict[str, str] = {"]
    lines.extend(f"    {t!r}: {fn.__module__.rsplit('.', 1)[-1]!r}," for t, fn in sorted(load_families().items()))
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class NoClosedForm(ExplainError):
    """The family has no closed form for this architecture (a head it does not know)."""


def _family(*names: str, base: str | Mapping[str, str] | None = None, prefix: str | None = None):
    """Registers a family's builder for ``names`` (model_type), with its base class and the class
    prefix that identifies it when a config has no model_type."""
    def register(fn):
        for n in names:
            FAMILIES[n] = fn
            if isinstance(base, str):
                BASES[n] = base
            elif base is not None:
                BASES[n] = base[n]
        if prefix is not None:
            _PREFIXES[prefix] = names[0]
        return fn
    return register


def _source(b: "_Builder") -> Value | None:
    """S, the encoder's length a decoder's cross-attention reads: ``--set S=…``, else T where
    ``--set T=…`` gives it, else the context length the config states; None without one."""
    if "S" in b.overrides or b.context is not None or "T" in b.overrides:
        return b.declare("S", b.overrides.get("T", b.context or 0))
    return None


CONTEXT_KEYS = ("n_positions", "n_ctx", "max_position_embeddings", "max_target_positions",
                "max_sequence_length", "seq_length")
"""Where a config gives its context length, the sequence length compute is counted at."""


def _context(model: Model, cfg: "_Config") -> Value | None:
    """T, the positions the config declares (``--set T=…`` changes it), or the context length
    the config states; None where it states none."""
    t = sym("T")
    if t in model.symbols:
        return t
    return _stated_context(cfg)


def _stated_context(cfg: "_Config") -> int | None:
    """The first of CONTEXT_KEYS the config gives as a positive whole number."""
    for key in CONTEXT_KEYS:
        value = cfg.raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 10**9:
            return value
    return None


def _load(parsed: Any, path: str | None, overrides: Mapping[str, int] | None,
          architecture: str | None) -> Model:
    if not isinstance(parsed, dict):
        raise ExplainError("a Hugging Face config must be a JSON object")
    cfg = _Config(parsed)
    given = _architecture(cfg)
    if architecture is not None and not (architecture.isidentifier() and len(architecture) <= 200):
        raise ExplainError(f"--architecture takes a class name. Received: {architecture!r}")
    arch = architecture or given
    model_type = parsed.get("model_type")
    if model_type is None:
        load_families()  # every family's class prefix
        model_type = next((t for p, t in sorted(_PREFIXES.items(), key=lambda x: -len(x[0]))
                           if arch.startswith(p)), None)
    if model_type is not None and not isinstance(model_type, str):
        raise ExplainError(f"'model_type' must be text. Received: model_type={model_type!r}")
    if model_type is None and not arch:
        raise ExplainError("the config has neither 'model_type' nor 'architectures'")
    build = family_builder(model_type) if model_type is not None else None
    model: Model | None = None
    built = ""
    b: _Builder | None = None
    if build is not None and model_type is not None:
        base = BASES[model_type]
        name = parsed.get("_name_or_path") if isinstance(parsed.get("_name_or_path"), str) else None
        b = _Builder(name or arch or base, path, overrides)
        b.context = _stated_context(cfg)
        try:
            build(cfg, arch or base, b)
            b.check_overrides()
        except NoClosedForm:
            model = None
        else:
            assert b.graph is not None  # every family's build starts the graph
            model = b.graph.build()
            model.symbol_meanings = {**{s.name: MEANINGS[s.name] for s in model.symbols if s.name in MEANINGS},
                                     **b.meanings}
            model.notes = tuple(b.notes)
            built = arch or base
    if model is None:
        if overrides:
            raise ExplainError(f"--set needs a closed form, and {arch or model_type} has none here "
                               "(the generic route counts the modules transformers builds)")
        from .hf_generic import load_generic
        model, built = load_generic(parsed, model_type, arch or None, sorted(load_families()))
        model.source = path
        model.notes += (("hf_generic", (("architecture", built),)),)
    if not arch:
        model.notes = (("hf_no_architecture", (("assumed", built),)),) + model.notes
    elif architecture is not None and architecture != given:
        model.notes = (("hf_architecture_chosen", (("architecture", built),)),) + model.notes
    model.details = {"architecture": built, "architecture_given": bool(given),
                     "route": "generic" if any(k == "hf_generic" for k, _ in model.notes) else "closed_form"}
    model.set_context(_context(model, cfg) or (b.compute_context if b is not None else None))
    dtype = parsed.get("dtype", parsed.get("torch_dtype"))
    if isinstance(dtype, str) and dtype.startswith(("float", "bfloat")):
        model.dtype = dtype.removeprefix("torch.")
    return model


def _decoder_head(g: GraphBuilder, b: _Builder, head: str | None, d: Value, V: Value,
                  n_labels: Value | None, *, embedding: str, tied: bool, token_name: str, lm_bias: bool = False) -> None:
    """The head a decoder-only model's architecture names: an LM head (V·d, tied to the token
    embedding when the config says so), a sequence classifier (n_labels·d, no bias) or a token
    classifier (n_labels·d + n_labels)."""
    if head == "lm":
        g.add("lm_head", b.torch("Linear", in_features=d, out_features=V, bias=lm_bias),
              shares=embedding if tied else None)
    elif head == "seq":
        g.add("score", b.torch("Linear", in_features=d, out_features=n_labels, bias=False))
    elif head == "token":
        g.add(token_name, b.torch("Linear", in_features=d, out_features=n_labels))


def _architecture(cfg: _Config) -> str:
    archs = cfg.raw.get("architectures")
    if archs is None:
        return ""
    if not isinstance(archs, list) or not archs or not all(isinstance(a, str) for a in archs):
        raise ExplainError(f"'architectures' must be a list of class names. Received: architectures={archs!r}")
    return archs[0]


def _unsupported(arch: str, supported: list[str]) -> ExplainError:
    """A head the family's closed form does not know: the generic route builds it."""
    return NoClosedForm(f"the architecture '{arch}' is not supported (supported: {', '.join(supported)})")


_H = TypeVar("_H")


def _check_head(arch: str, heads: Collection[str]) -> None:
    """Refuses a class not among the family's heads: the generic route builds it."""
    if arch not in heads:
        raise _unsupported(arch, list(heads))


def _pick_head(arch: str, heads: Mapping[str, _H]) -> _H:
    """The entry of the family's heads table for ``arch`` (``_check_head`` first)."""
    _check_head(arch, heads)
    return heads[arch]


def _check_heads(width: int, n_heads: int, width_name: str = "the hidden size d", heads_name: str = "H=") -> None:
    """Refuses a width that the attention heads do not divide (as transformers' config validation)."""
    if width % n_heads:
        raise ExplainError(f"{width_name}={width} is not a multiple of the number of attention heads "
                           f"{heads_name}{n_heads}")


def _check_experts_per_tok(per_token: int, experts: int) -> None:
    """Refuses routing each token to more experts than there are."""
    if per_token > experts:
        raise ExplainError(f"'num_experts_per_tok' = {per_token} is more than the {experts} experts")


def _tied(cfg: _Config, default: bool) -> bool:
    return cfg.flag("tie_word_embeddings", default)


# ----------------------------------------------------------------------------- GPT-2

@_family("gpt2", base="GPT2Model")
def _gpt2(cfg: _Config, arch: str, b: _Builder) -> None:
    heads = {"GPT2Model": None, "GPT2LMHeadModel": "lm", "GPT2ForSequenceClassification": "seq",
             "GPT2ForTokenClassification": "token"}
    head = _pick_head(arch, heads)
    V = b.declare("V", cfg.size("vocab_size"))
    T = b.declare("T", cfg.size("n_positions", "max_position_embeddings"))
    d = b.declare("d", cfg.size("n_embd", "hidden_size"))
    L = b.declare("L", cfg.size("n_layer", "num_hidden_layers"))
    n_inner = cfg.size("n_inner", default=None)
    if n_inner is None:  # GPT2MLP: n_inner or 4·n_embd, a rule
        f = _four_d(b, d, 4 * b.values[d])
        if "f" not in b.overrides:
            b.meanings["f"] = "feed_forward_n_inner_unset"
    else:
        f = _four_d(b, d, n_inner, stated="feed_forward_n_inner_4d")
    cross = cfg.flag("add_cross_attention", False)
    tied = _tied(cfg, True)
    n_labels = b.declare("n_labels", cfg.labels()) if head in ("seq", "token") else None
    if cfg.size("n_head", "num_attention_heads", default=None) is not None:
        b.declare("H", cfg.size("n_head", "num_attention_heads"))  # named by the block's note: d_h = d/H
    g = b.start()
    p = "" if head is None else "transformer."
    g.add_input("input_ids", (SEQ,))
    # GPT2Model.forward: position_ids = arange(past_length, past_length + T) when not given
    b.notes.append(("generated_position_ids", (("position_ids", "position_ids"),)))
    g.add(f"{p}wte", b.torch("Embedding", num_embeddings=V, embedding_dim=d), ["input_ids"])
    g.add(f"{p}wpe", b.torch("Embedding", num_embeddings=T, embedding_dim=d), ["input_ids"])
    # no module of transformers: the row is named by what it adds (then transformer.drop, no weights)
    g.add(f"{p}wte + {p}wpe", hf_blocks.AddEmbeddings(token_type=False, dropout=True), [f"{p}wte", f"{p}wpe"])
    heads = cfg.size("n_head", "num_attention_heads", default=None)
    g.add(f"{p}h", hf_blocks.GPT2Block(hidden_size=d, intermediate_size=f, add_cross_attention=cross, num_heads=heads,
                             source_length=_source(b) if cross else None,
                             activation=cfg.text("activation_function", "gelu_new"),
                             scale_attn_weights=cfg.flag("scale_attn_weights", True),
                             scale_attn_by_inverse_layer_idx=cfg.flag("scale_attn_by_inverse_layer_idx", False),
                             dropout=cfg.rate("attn_pdrop", "resid_pdrop", default=0.1)),
          repeat=L)
    g.add(f"{p}ln_f", b.torch("LayerNorm", normalized_shape=d))
    _decoder_head(g, b, head, d, V, n_labels, embedding=f"{p}wte", tied=tied, token_name="classifier")
    if head == "lm":
        b.notes.append(("tied_head" if tied else "untied_head", ()))


def _four_d(b: _Builder, d: sympy.Symbol, size: int, stated: str | None = None) -> sympy.Expr:
    """The feed-forward size: 4d where the config's is four times the width (BERT's 3,072 =
    4 × 768, written as GPT-2's, so that both blocks reduce to 12d² + 13d), else the symbol f.
    ``stated``: the meaning key of a size the config states (not a rule of the family): f is
    defined by its number, 4d only "here"."""
    if size == 4 * b.values[d] and "f" not in b.overrides:
        if stated is not None:
            b.meanings["f"] = stated
        return 4 * d
    return b.declare("f", size)


def _add(token_type: bool = False, step: bool = True) -> Layer:
    """The sum of the token and position embeddings (and the token type embedding); ``step``: its
    row's name is ours, no module's."""
    return hf_blocks.AddEmbeddings(token_type=token_type, step=step)


def _pooler(g: GraphBuilder, b: _Builder, name: str, d: Value, last: str, tanh: bool = True,
            bert: bool = False) -> None:
    """A pooler: the first position's vector ([CLS], ``hidden_states[:, 0]``) through a d × d
    Linear, then (``tanh``) its tanh, which has no weights. ``bert``: BertPooler, after [CLS]."""
    first = name.rsplit(".", 1)[0] if name.endswith(".dense") else name
    g.add(f"{first}.first_token", hf_blocks.FirstToken(bert_pooler=bert, step=True), [last])
    dense = b.torch("Linear", in_features=d, out_features=d)
    g.add(name, PoolerDense(**{f.name: getattr(dense, f.name) for f in fields(dense)}) if tanh else dense)


# ----------------------------------------------------------------------------- BERT, DistilBERT

@_family("bert", "roberta", "xlm-roberta",
         base={"bert": "BertModel", "roberta": "RobertaModel", "xlm-roberta": "XLMRobertaModel"})
def _bert(cfg: _Config, arch: str, b: _Builder) -> None:
    xlm = cfg.raw.get("model_type") == "xlm-roberta" or arch.startswith("XLMRoberta")
    roberta = xlm or cfg.raw.get("model_type") == "roberta" or arch.startswith("Roberta")
    c = "XLMRoberta" if xlm else "Roberta" if roberta else "Bert"
    # head → (pooler, extra layers)
    heads = {f"{c}Model": (True, ()), f"{c}ForMaskedLM": (False, ("mlm",)),
             f"{c}ForSequenceClassification": (not roberta, ("classifier",)),
             f"{c}ForMultipleChoice": (True, ("choice",)), f"{c}ForTokenClassification": (False, ("token",)),
             f"{c}ForQuestionAnswering": (False, ("qa",))}
    if roberta:
        heads[f"{c}ForCausalLM"] = (False, ("mlm",))
    else:
        heads.update({"BertLMHeadModel": (False, ("mlm",)), "BertForPreTraining": (True, ("mlm", "nsp")),
                      "BertForNextSentencePrediction": (True, ("nsp",))})
    pooler, extra = _pick_head(arch, heads)
    if cfg.text("position_embedding_type", "absolute") != "absolute":
        raise ExplainError("only position_embedding_type 'absolute' is supported. Received: "
                           f"position_embedding_type={cfg.raw['position_embedding_type']!r}")
    V = b.declare("V", cfg.size("vocab_size"))
    T = b.declare("T", cfg.size("max_position_embeddings"))
    V_type = b.declare("V_type", cfg.size("type_vocab_size", default=2))
    d = b.declare("d", cfg.size("hidden_size"))
    L = b.declare("L", cfg.size("num_hidden_layers"))
    f = _four_d(b, d, cfg.size("intermediate_size"), stated="feed_forward_intermediate_size_4d")
    cross = cfg.flag("add_cross_attention", False) and cfg.flag("is_decoder", False)
    tied = _tied(cfg, True)
    n_labels = b.declare("n_labels", cfg.labels()) if {"classifier", "token"} & set(extra) else None
    g = b.start()
    p = "" if arch == f"{c}Model" else "roberta." if roberta else "bert."
    g.add_input("input_ids", (SEQ,))
    # BertEmbeddings: without position_ids, its buffer arange(max_position_embeddings), sliced
    # (RoBERTa counts its positions from padding_idx + 1: not said of it)
    b.notes.append(("bert_optional_inputs" if not roberta else "roberta_optional_inputs",
                    (("token_type_ids", "token_type_ids"), ("attention_mask", "attention_mask"),
                     ("position_ids", "position_ids"))))
    e = f"{p}embeddings."
    g.add(f"{e}word_embeddings", b.torch("Embedding", num_embeddings=V, embedding_dim=d), ["input_ids"])
    # RobertaEmbeddings: the position table has a padding row, padding_idx = pad_token_id; positions
    # count from padding_idx + 1
    pad = {"padding_idx": cfg.size("pad_token_id", default=1)} if roberta else {}
    g.add(f"{e}position_embeddings", b.torch("Embedding", num_embeddings=T, embedding_dim=d, **pad), ["input_ids"])
    g.add(f"{e}token_type_embeddings", b.torch("Embedding", num_embeddings=V_type, embedding_dim=d),
          ["input_ids"])
    # then embeddings.LayerNorm and embeddings.dropout (no weights: said in the row's sentence)
    g.add(f"{e}sum", hf_blocks.AddEmbeddings(token_type=True, dropout=True, step=True),
          [f"{e}word_embeddings", f"{e}position_embeddings", f"{e}token_type_embeddings"])
    g.add(f"{e}LayerNorm", b.torch("LayerNorm", normalized_shape=d))
    block = XLMRobertaLayer if xlm else RobertaLayer if roberta else BertLayer
    g.add(f"{p}encoder.layer", block(hidden_size=d, intermediate_size=f, add_cross_attention=cross,
                                     num_heads=cfg.size("num_attention_heads", default=None),
                                     dropout=cfg.rate("hidden_dropout_prob", "attention_probs_dropout_prob", default=0.1)),
          repeat=L)
    last = f"{p}encoder.layer"
    if pooler:
        _pooler(g, b, f"{p}pooler.dense", d, last, bert=not roberta)
    if "mlm" in extra:
        # tied: decoder.weight is the word embedding and decoder.bias is the head's bias;
        # untied: the decoder has a bias of its own beside it
        t, norm, bias = (("lm_head.", "lm_head.layer_norm", "lm_head") if roberta else
                         ("cls.predictions.transform.", "cls.predictions.transform.LayerNorm", "cls.predictions"))
        g.add(f"{t}dense", b.torch("Linear", in_features=d, out_features=d), [last])
        g.add(norm, b.torch("LayerNorm", normalized_shape=d))
        decoder = "lm_head.decoder" if roberta else "cls.predictions.decoder"
        g.add(decoder, b.torch("Linear", in_features=d, out_features=V, bias=not tied),
              shares=f"{e}word_embeddings" if tied else None)
        from ..layers.torch_parameter import Parameter  # BERT's free bias only
        g.add(bias, Parameter(size=V))
    pooled = f"{p}pooler.dense" if pooler else last
    if "nsp" in extra:
        g.add("cls.seq_relationship", b.torch("Linear", in_features=d, out_features=2), [pooled])
    if "classifier" in extra and roberta:
        g.add("classifier.first_token", hf_blocks.FirstToken(step=True), [last])  # RobertaClassificationHead: features[:, 0]
        g.add("classifier.dense", b.torch("Linear", in_features=d, out_features=d))
        g.add("classifier.out_proj", b.torch("Linear", in_features=d, out_features=n_labels))
    elif "classifier" in extra:
        g.add("classifier", b.torch("Linear", in_features=d, out_features=n_labels), [pooled])
    if "token" in extra:
        g.add("classifier", b.torch("Linear", in_features=d, out_features=n_labels), [last])
    if "choice" in extra:
        g.add("classifier", b.torch("Linear", in_features=d, out_features=1), [pooled])
    if "qa" in extra:
        g.add("qa_outputs", b.torch("Linear", in_features=d, out_features=2), [last])


@_family("distilbert", base="DistilBertModel")
def _distilbert(cfg: _Config, arch: str, b: _Builder) -> None:
    heads = ("DistilBertModel", "DistilBertForMaskedLM", "DistilBertForSequenceClassification",
             "DistilBertForMultipleChoice", "DistilBertForTokenClassification", "DistilBertForQuestionAnswering")
    _check_head(arch, heads)
    V = b.declare("V", cfg.size("vocab_size"))
    T = b.declare("T", cfg.size("max_position_embeddings"))
    d = b.declare("d", cfg.size("dim", "hidden_size"))
    L = b.declare("L", cfg.size("n_layers", "num_hidden_layers"))
    f = b.declare("f", cfg.size("hidden_dim"))
    tied = _tied(cfg, True)
    classify = arch in ("DistilBertForSequenceClassification", "DistilBertForTokenClassification")
    n_labels = b.declare("n_labels", cfg.labels()) if classify else None
    g = b.start()
    p = "" if arch == "DistilBertModel" else "distilbert."
    e = f"{p}embeddings."
    g.add_input("input_ids", (SEQ,))
    g.add(f"{e}word_embeddings", b.torch("Embedding", num_embeddings=V, embedding_dim=d), ["input_ids"])
    g.add(f"{e}position_embeddings", b.torch("Embedding", num_embeddings=T, embedding_dim=d), ["input_ids"])
    g.add(f"{e}sum", _add(), [f"{e}word_embeddings", f"{e}position_embeddings"])
    g.add(f"{e}LayerNorm", b.torch("LayerNorm", normalized_shape=d))
    g.add(f"{p}transformer.layer", hf_blocks.DistilBertBlock(hidden_size=d, intermediate_size=f,
                                                   num_heads=cfg.size("n_heads", "num_attention_heads", default=None)),
          repeat=L)
    if arch == "DistilBertForMaskedLM":
        g.add("vocab_transform", b.torch("Linear", in_features=d, out_features=d))
        g.add("vocab_layer_norm", b.torch("LayerNorm", normalized_shape=d))
        g.add("vocab_projector", b.torch("Linear", in_features=d, out_features=V),
              shares=f"{e}word_embeddings" if tied else None)
    elif arch in ("DistilBertForSequenceClassification", "DistilBertForMultipleChoice"):
        g.add("pre_classifier", b.torch("Linear", in_features=d, out_features=d))
        g.add("classifier", b.torch("Linear", in_features=d, out_features=n_labels or 1))
    elif arch == "DistilBertForTokenClassification":
        g.add("classifier", b.torch("Linear", in_features=d, out_features=n_labels))
    elif arch == "DistilBertForQuestionAnswering":
        g.add("qa_outputs", b.torch("Linear", in_features=d, out_features=2))


# ----------------------------------------------------------------------------- Llama family

_DECODERS: dict[str, tuple[str, bool, int | None, int | None]] = {
    # model_type: (class prefix (decoder layer type: <prefix>DecoderLayer), tie_word_embeddings default,
    #              num_key_value_heads default (None: = heads), head_dim default (None: d/H)),
    # the defaults of transformers' config classes
    "llama": ("Llama", False, None, None),
    "mistral": ("Mistral", False, 8, None),
    "qwen2": ("Qwen2", False, 32, None),
    "gemma": ("Gemma", True, 16, 256),
    "qwen3": ("Qwen3", False, 32, 128),
    "mixtral": ("Mixtral", False, 8, None),
}


@_family("llama", "mistral", "qwen2", "gemma", "qwen3", "mixtral", base={"llama": "LlamaModel", "mistral": "MistralModel", "qwen2": "Qwen2Model", "gemma": "GemmaModel", "qwen3": "Qwen3Model", "mixtral": "MixtralModel"})
def _decoder_only(cfg: _Config, arch: str, b: _Builder) -> None:
    model_type = cfg.raw.get("model_type") or next(t for t, v in _DECODERS.items() if arch.startswith(v[0]))
    prefix, tie_default, kv_default, head_dim_default = _DECODERS[model_type]
    block = getattr(hf_blocks, f"{prefix}DecoderLayer")  # GemmaDecoderLayer …: built on first use
    heads = {f"{prefix}Model": None, f"{prefix}ForCausalLM": "lm",
             f"{prefix}ForSequenceClassification": "seq", f"{prefix}ForTokenClassification": "token"}
    head = _pick_head(arch, heads)
    V = b.declare("V", cfg.size("vocab_size"))
    d = b.declare("d", cfg.size("hidden_size"))
    L = b.declare("L", cfg.size("num_hidden_layers"))
    f = b.declare("f", cfg.size("intermediate_size"))
    H, H_kv, d_h = attention_sizes(cfg, b, d, kv_default, head_dim_default)
    attention_bias = cfg.flag("attention_bias", False)
    qkv_bias = o_bias = attention_bias
    if model_type == "qwen2":
        qkv_bias, o_bias = True, False
    mlp_bias = cfg.flag("mlp_bias", False) if model_type == "llama" else False
    extra = {}
    if model_type == "gemma":  # transformers' GemmaModel still builds the causal mask
        extra["mask_kept"] = cfg.raw.get("use_bidirectional_attention") is True
    if model_type == "mixtral":
        qkv_bias = o_bias = False
        extra["num_local_experts"] = b.declare("n_x", cfg.size("num_local_experts", default=8))
        extra["num_experts_per_tok"] = b.declare("k_x", cfg.size("num_experts_per_tok", default=2))
    tied = _tied(cfg, tie_default)
    n_labels = b.declare("n_labels", cfg.labels()) if head in ("seq", "token") else None
    g = b.start()
    p = "" if head is None else "model."
    g.add_input("input_ids", (SEQ,))
    embedding = b.torch("Embedding", num_embeddings=V, embedding_dim=d)
    if model_type == "gemma":  # GemmaTextScaledWordEmbedding: every vector times √d
        embedding = hf_blocks.scaled_embedding_as("GemmaTextScaledWordEmbedding", embedding)
    g.add(f"{p}embed_tokens", embedding)
    g.add(f"{p}layers", block(hidden_size=d, num_attention_heads=H, num_key_value_heads=H_kv, head_dim=d_h,
                              intermediate_size=f, qkv_bias=qkv_bias, o_bias=o_bias, mlp_bias=mlp_bias,
                              dropout=cfg.rate("attention_dropout", default=0.0), **extra, **sliding_window(cfg, model_type, L)),
          repeat=L)
    norm = b.torch("RMSNorm", normalized_shape=d)
    g.add(f"{p}norm", rms_norm_as(f"{prefix}RMSNorm", norm))
    _decoder_head(g, b, head, d, V, n_labels, embedding=f"{p}embed_tokens", tied=tied, token_name="score")
    sliding_note(cfg, model_type, b, f"{p}layers")
    if head == "lm":
        b.notes.append(("tied_head" if tied else "untied_head", ()))


def sliding_flags(cfg: _Config, model_type: str) -> list[bool] | None:
    """Which of the config's layers attend within a sliding window of ``sliding_window`` w
    positions: from ``layer_types``, else as transformers decides (Gemma 2: every other layer
    from the first; Gemma 3: all but every ``sliding_window_pattern``-th; Qwen2: from
    ``max_window_layers`` on, with ``use_sliding_window``; Mistral, Mixtral, Phi-3: all); None
    without a window or a rule."""
    window = cfg.raw.get("sliding_window")
    n = cfg.size("num_hidden_layers")
    if not isinstance(window, int) or isinstance(window, bool) or not 0 < window <= 10**9:
        return None
    types = cfg.raw.get("layer_types")
    if isinstance(types, list) and len(types) == n and all(isinstance(t, str) for t in types):
        return [t == "sliding_attention" for t in types]
    if model_type == "gemma2":
        return [i % 2 == 0 for i in range(n)]
    if model_type == "gemma3_text":
        pattern = cfg.raw.get("sliding_window_pattern", 6)
        pattern = pattern if isinstance(pattern, int) and not isinstance(pattern, bool) and pattern > 0 else 6
        return [(i + 1) % pattern != 0 for i in range(n)]
    if model_type == "qwen2":
        start = cfg.raw.get("max_window_layers", n)
        start = start if isinstance(start, int) and not isinstance(start, bool) and start >= 0 else n
        return [cfg.raw.get("use_sliding_window") is True and i >= start for i in range(n)]
    if model_type in ("mistral", "mixtral", "phi3"):
        return [True] * n
    return None


def sliding_window(cfg: _Config, model_type: str, L: Value) -> dict[str, Any]:
    """The block's sliding-window arguments: ``sliding_window`` w where some layers slide
    (:func:`sliding_flags`), and ``sliding_layers`` (L_w, L) where only L_w of the L layers do."""
    flags = sliding_flags(cfg, model_type)
    if not flags or not any(flags):
        return {}
    n_w = sum(flags)
    return {"sliding_window": cfg.raw["sliding_window"], **({} if n_w == len(flags) else {"sliding_layers": (n_w, L)})}


GLOBAL_NAMED = 8
"""At most this many blocks with global attention are named one by one in the note on the two kinds."""


def sliding_note(cfg: _Config, model_type: str, b: _Builder, layers: str) -> None:
    """Where some of the L layers ``layers``.i attend within a causal sliding window and the others
    to all positions (Gemma 2 and 3, Qwen2), a model note says how many do which, the window w
    and, where few, the global ones by name."""
    flags = sliding_flags(cfg, model_type)
    if not flags or all(flags) or not any(flags):
        return
    full = tuple(f"{b.prefix or ''}{layers}.{i}" for i, slides in enumerate(flags) if not slides)
    args: tuple[tuple[str, Any], ...] = (("L_w_eq", sum(flags)), ("L_eq", len(flags)),
                                         ("w_eq", cfg.raw["sliding_window"]), ("rest", len(full)))
    if len(full) == 1:
        b.notes.append(("sliding_layers_one", args + (("global", full[0]),)))
    elif len(full) <= GLOBAL_NAMED:
        b.notes.append(("sliding_layers", args + (("global", full),)))
    else:
        b.notes.append(("sliding_layers_many", args))


def attention_sizes(cfg: _Config, b: _Builder, d: Value, kv_default: int | None,
                    head_dim_default: int | None) -> tuple[Value, Value, Value]:
    """H, H_kv and d_h of grouped-query attention: H_kv = H and d_h = d/H where the config's
    sizes equal them (as transformers derives them), declared symbols otherwise."""
    n_heads = cfg.size("num_attention_heads")
    H = b.declare("H", n_heads)
    n_kv = cfg.size("num_key_value_heads", default=kv_default or n_heads)
    H_kv = H if n_kv == n_heads and "H_kv" not in b.overrides else b.declare("H_kv", n_kv)
    head_dim = cfg.size("head_dim", default=head_dim_default)
    width = b.values[d]
    _check_heads(width, b.values[H])
    if head_dim is None:
        head_dim = width // n_heads
    if head_dim * n_heads == width and "d_h" not in b.overrides:
        d_h = b.whole(d / H, "the head size d/H")
    else:
        d_h = b.declare("d_h", head_dim)
    return H, H_kv, d_h


# ----------------------------------------------------------------------------- T5

T5_PRETRAINING_LENGTH = 512
"""The input length T5 was pre-trained with (Raffel et al. 2020, section 3.1.2), where its config
states no context length: the sequence length compute and memory count at."""


@_family("t5", "mt5", base={"t5": "T5Model", "mt5": "MT5Model"})
def _t5(cfg: _Config, arch: str, b: _Builder) -> None:
    mt5 = cfg.raw.get("model_type") == "mt5" or arch.startswith("MT5")
    c = "MT5" if mt5 else "T5"
    archs = (f"{c}Model", f"{c}ForConditionalGeneration", f"{c}EncoderModel")
    if arch not in archs:
        raise _unsupported(arch, list(archs))
    V = b.declare("V", cfg.size("vocab_size"))
    d = b.declare("d", cfg.size("d_model", "hidden_size"))
    n_layers = cfg.size("num_layers", "num_hidden_layers")
    L = b.declare("L", n_layers)
    n_dec = cfg.size("num_decoder_layers", default=n_layers)
    L_dec = L if n_dec == n_layers and "L_dec" not in b.overrides else b.declare("L_dec", n_dec)
    if arch != f"{c}EncoderModel":  # L counts the encoder's blocks, and the decoder's where as many
        b.meanings["L"] = "num_blocks_each_stack" if L_dec is L else "encoder_layers"
    H = b.declare("H", cfg.size("num_heads", "num_attention_heads"))
    d_kv = b.declare("d_kv", cfg.size("d_kv"))
    f = b.declare("f", cfg.size("d_ff"))
    B = b.declare("N_b", cfg.size("relative_attention_num_buckets", default=32))
    proj = cfg.text("feed_forward_proj", "gated-gelu" if mt5 else "relu")
    gated = proj.startswith("gated-")
    act = "gelu_new" if proj == "gated-gelu" else proj.split("-")[-1]  # T5Config's dense_act_fn
    tied = _tied(cfg, not mt5)
    S = _source(b) if arch != f"{c}EncoderModel" else None
    source: Value | None = S
    if b.context is None and "T" not in b.overrides and "S" not in b.overrides:
        # relative positions set no maximum length: compute counts at the pre-training's length
        b.compute_context = source = T5_PRETRAINING_LENGTH
        b.notes.append(("t5_context", (("length", T5_PRETRAINING_LENGTH), ("key", "relative_attention_max_distance"),
                                       ("max_distance", cfg.size("relative_attention_max_distance", default=128)))))
    g = b.start()
    g.add_input("input_ids", (SEQ if S is None else S,))
    g.add("shared", b.torch("Embedding", num_embeddings=V, embedding_dim=d))
    g.draw("shared", [])  # applied as encoder.embed_tokens and decoder.embed_tokens (the same module)

    def stack(part: str, ids: str, decoder: bool, n: Value, source: Value | None) -> None:
        g.add(f"{part}.embed_tokens", b.torch("Embedding", num_embeddings=V, embedding_dim=d), [ids],
              shares="shared")
        bias = f"{part}.block.0.layer.0.SelfAttention.relative_attention_bias"
        g.add(bias, b.torch("Embedding", num_embeddings=B, embedding_dim=H), [ids])
        g.add(f"{part}.block", hf_blocks.T5Block(hidden_size=d, num_heads=H, d_kv=d_kv, d_ff=f, is_decoder=decoder,
                                       is_gated_act=gated, dense_act_fn=act, source_length=source), [f"{part}.embed_tokens"],
              repeat=n)
        # T5Stack.forward: block 0's bias (looked up by relative-position buckets) is passed to
        # every block; a decoder block's cross-attention reads the encoder's final output
        g.draw(f"{part}.block", [f"{part}.embed_tokens", bias], "encoder.final_layer_norm" if decoder else None)
        norm = b.torch("RMSNorm", normalized_shape=d)
        g.add(f"{part}.final_layer_norm", rms_norm_as("T5LayerNorm", norm))

    stack("encoder", "input_ids", False, L, None)
    if arch == f"{c}EncoderModel":
        return
    g.add_input("decoder_input_ids", (SEQ,))
    stack("decoder", "decoder_input_ids", True, L_dec, source)
    if arch == f"{c}ForConditionalGeneration":
        g.add("lm_head", b.torch("Linear", in_features=d, out_features=V, bias=False),
              shares="shared" if tied else None)
        b.notes.append(("tied_head" if tied else "untied_head", ()))


if __name__ == "__main__":  # run as a script, this file is a second copy: use the package's
    from explain.importers import hf_config as _package_hf_config
    print(f"wrote {_package_hf_config.write_index()}")
