"""Shared fixtures: where the build is, small nets written on the fly."""
import os
import subprocess
import sys

import numpy as np
import pytest

import crema

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("CREMA_BUILD_DIR", os.path.join(ROOT, "build"))
MODELS = os.path.join(ROOT, "models")

crema.set_log_level(2)


def tool(name):
    path = os.path.join(BUILD, "tools", name)
    if not os.path.exists(path):
        pytest.skip("%s is not built" % path)
    return path


def run_tool(args, **kwargs):
    env = dict(os.environ, GLOG_minloglevel="1")
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env=env, universal_newlines=True, **kwargs)


def write(path, text):
    with open(str(path), "w") as f:
        f.write(text)
    return str(path)


def fill_params(net, seed):
    """Random weights (normal, small), the same for a given seed."""
    rng = np.random.RandomState(seed)
    for blobs in net.params.values():
        for blob in blobs:
            blob.data[...] = rng.normal(0, 0.05, blob.shape)


def param_count(net):
    return sum(b.count for blobs in net.params.values() for b in blobs)


@pytest.fixture
def python_path_with(tmp_path, monkeypatch):
    """Puts tmp_path on sys.path (Python layer modules live there)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
