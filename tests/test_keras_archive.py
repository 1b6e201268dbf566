""".keras archives: models saved by Keras itself, and archives that must be refused."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

import explain
from explain.errors import ExplainError
from explain.importers import keras_archive
from tests.conftest import FIXTURES, ROOT, require_module
from tests.test_keras_json import assert_matches_keras

SEED_JSON = (FIXTURES / "keras" / "seed_cnn_tfkeras.json").read_text()


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explain", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def refused(path) -> str:
    result = run("derive", str(path), "--format", "json")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0], result.stderr
    return lines[0]


def test_archives_saved_by_keras(tmp_path):
    keras = require_module("keras")
    layers = keras.layers
    inputs = keras.Input((32, 32, 3))
    x = layers.Conv2D(8, 3, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    y = layers.DepthwiseConv2D(3, padding="same")(x)
    x = layers.Add()([x, y])
    x = layers.GlobalAveragePooling2D()(x)
    functional = keras.Model(inputs, layers.Dense(10)(x), name="small")
    sequential = keras.Sequential([keras.Input((20,)), layers.Embedding(50, 4), layers.GRU(6),
                                   layers.Dense(2)], name="seq")
    for keras_model in (functional, sequential):
        path = tmp_path / f"{keras_model.name}.keras"
        keras_model.save(path)
        model = explain.load(str(path))
        assert_matches_keras(model, keras_model)
    result = run("derive", str(tmp_path / "small.keras"), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == functional.count_params()


def test_application_archive_and_weights_never_read(tmp_path, monkeypatch):
    keras = require_module("keras")
    keras_model = keras.applications.MobileNetV2(weights=None)
    path = tmp_path / "mobilenet.keras"
    keras_model.save(path)
    opened = []
    original = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    model = explain.load(str(path))
    assert model.total == keras_model.count_params()
    assert opened == ["config.json"]


def _archive(path, entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)


def test_zip_bomb_is_refused_before_reading(tmp_path):
    path = tmp_path / "bomb.keras"
    # 8 MiB of spaces after valid JSON: deflates about 1000-fold
    _archive(path, {"config.json": SEED_JSON.encode() + b" " * (8 * 1024 * 1024)})
    assert "zip bomb" in refused(path)


def test_entry_over_the_size_limit(tmp_path, monkeypatch):
    path = tmp_path / "big.keras"
    _archive(path, {"config.json": SEED_JSON.encode()}, zipfile.ZIP_STORED)
    monkeypatch.setattr(keras_archive, "MAX_CONFIG_BYTES", 1024)
    with pytest.raises(ExplainError) as err:
        explain.load(str(path))
    assert "over the limit" in str(err.value)


def test_archive_lying_about_its_size(tmp_path):
    path = tmp_path / "liar.keras"
    _archive(path, {"config.json": SEED_JSON.encode()}, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    size = len(SEED_JSON.encode()).to_bytes(4, "little")
    smaller = (len(SEED_JSON.encode()) // 2).to_bytes(4, "little")
    # the declared uncompressed size, in the local header and the central directory
    data[:] = data.replace(size + size, size + smaller)
    path.write_bytes(bytes(data))
    with pytest.raises(ExplainError) as err:
        explain.load(str(path))
    assert "config.json" in str(err.value)


def test_not_a_zip(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"this is not a zip file at all\n")
    assert "not a valid zip" in refused(path)


def test_zip_without_config(tmp_path):
    path = tmp_path / "empty.keras"
    _archive(path, {"model.weights.h5": b"\x89HDF\r\n"})
    assert "no config.json" in refused(path)


def test_good_archive_by_content(tmp_path):
    # a .keras archive under another name is still read (by its magic bytes)
    path = tmp_path / "model.bin"
    _archive(path, {"config.json": SEED_JSON.encode(), "metadata.json": b"{}"})
    assert explain.load(str(path)).total == 6029097
