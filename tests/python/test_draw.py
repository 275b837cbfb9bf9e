"""crema.draw and tools/draw_net."""
import os
import shutil

import pytest

from crema import draw
from conftest import BUILD, MODELS, run_tool

LENET = os.path.join(MODELS, "lenet", "lenet_train_test.prototxt")


def test_dot_text():
    dot = draw.net_to_dot(draw._net_param(LENET), phase=draw._phase_of("TEST"))
    assert dot.count("shape=record") == 10  # one Data layer for TEST
    assert '"blob data"' in dot and "kernel size: 5" in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz is not installed")
def test_svg_and_tool(tmp_path):
    out = str(tmp_path / "lenet.svg")
    draw.draw_net_to_file(LENET, out)
    assert open(out).read().lstrip().startswith(("<?xml", "<svg"))
    script = os.path.join(BUILD, "tools", "draw_net")
    if not os.path.exists(script):
        pytest.skip("tools/draw_net is not built")
    png = str(tmp_path / "lenet.png")
    done = run_tool([script, "--rankdir", "TB", LENET, png])
    assert done.returncode == 0, done.stdout
    assert open(png, "rb").read(4) == b"\x89PNG"
