"""examples/python/ scripts run on small generated inputs."""
import os
import subprocess
import sys

from conftest import ROOT


def run_example(name, *args):
    script = os.path.join(ROOT, "examples", "python", name)
    done = subprocess.run([sys.executable, script] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=240)
    assert done.returncode == 0, done.stdout
    return done.stdout


def test_classify_image():
    out = run_example("classify_image.py", "--batch", "1")
    assert "predicted class is:" in out and "conv1 filters: 96" in out


def test_net_surgery():
    out = run_example("net_surgery.py", "--size", "259")
    assert "classification map (2 x 2)" in out
