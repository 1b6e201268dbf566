"""Repeated blocks are found where the model's own blocks are (ResNet50's stages)."""
from __future__ import annotations

from explain import load
from explain.derivation.build import group_blocks
from tests.conftest import FIXTURES


def test_resnet50_identity_blocks_align_with_keras_block_names():
    model = load(FIXTURES / "keras" / "ResNet50.json")
    runs = [(model.nodes[s].name, model.nodes[s + p - 1].name, model.nodes[s + p * r - 1].name, r)
            for s, p, r in group_blocks(model.nodes) if r > 1 and p > 1]
    # ResNet-50 stages have 3, 4, 6 and 3 bottleneck blocks (He et al., 2016); the first block
    # of each stage has a projection shortcut, the others are identical.
    assert runs == [
        ("conv2_block2_1_conv", "conv2_block2_out", "conv2_block3_out", 2),
        ("conv3_block2_1_conv", "conv3_block2_out", "conv3_block4_out", 3),
        ("conv4_block2_1_conv", "conv4_block2_out", "conv4_block6_out", 5),
        ("conv5_block2_1_conv", "conv5_block2_out", "conv5_block3_out", 2),
    ]


def test_runs_cover_every_layer_once():
    model = load(FIXTURES / "keras" / "ResNet50.json")
    covered = [i for s, p, r in group_blocks(model.nodes) for i in range(s, s + p * r)]
    assert covered == list(range(len(model.nodes)))
