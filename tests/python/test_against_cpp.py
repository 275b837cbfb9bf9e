"""The module's forward and backward equal the C++ library's (reference_pass)
on LeNet and AlexNet (batch 1, random weights)."""
import os
import re

import numpy as np
import pytest

import crema
from conftest import BUILD, MODELS, fill_params, run_tool, write


def batch_one_model(tmp_path, name):
    """The zoo deploy net at batch 1, with force_backward so a net without a
    loss still runs backward."""
    with open(os.path.join(MODELS, name, "deploy.prototxt")) as f:
        text = f.read()
    text = re.sub(r"(input_param\s*\{\s*shape\s*\{\s*dim:\s*)\d+", r"\g<1>1", text, count=1)
    return write(tmp_path / (name + ".prototxt"), "force_backward: true\n" + text)


def compare(tmp_path, name, seed):
    helper = os.path.join(BUILD, "tests", "reference_pass")
    if not os.path.exists(helper):
        pytest.skip("reference_pass is not built")
    model = batch_one_model(tmp_path, name)
    net = crema.Net(model, crema.TEST)
    fill_params(net, seed)
    weights = str(tmp_path / "w.caffemodel")
    net.save(weights)
    data = np.random.RandomState(seed + 1).rand(*net.blobs[net.inputs[0]].shape)
    data.astype(np.float32).tofile(str(tmp_path / "in.bin"))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    done = run_tool([helper, model, weights, str(tmp_path / "in.bin"), str(out_dir), "backward"])
    assert done.returncode == 0, done.stdout

    outputs = net.forward(**{net.inputs[0]: data})
    for name_out in net.outputs:
        net.blobs[name_out].diff[...] = 1
    net.backward()
    assert outputs
    for i, (blob_name, blob) in enumerate(net.blobs.items()):
        expected = np.fromfile(str(out_dir / ("blob%d.data" % i)), np.float32)
        np.testing.assert_array_equal(blob.data.ravel(), expected, err_msg=blob_name)
        expected = np.fromfile(str(out_dir / ("blob%d.diff" % i)), np.float32)
        np.testing.assert_array_equal(blob.diff.ravel(), expected, err_msg=blob_name)
    j = 0
    for layer_name, blobs in net.params.items():
        for blob in blobs:
            expected = np.fromfile(str(out_dir / ("param%d.diff" % j)), np.float32)
            np.testing.assert_array_equal(blob.diff.ravel(), expected, err_msg=layer_name)
            j += 1
    return net


def test_lenet_forward_backward(tmp_path):
    net = compare(tmp_path, "lenet", 3)
    assert abs(net.blobs["prob"].data.sum() - 1) < 1e-5


def test_alexnet_forward_backward(tmp_path):
    net = compare(tmp_path, "alexnet", 5)
    assert net.blobs["prob"].data.shape == (1, 1000)
    assert np.abs(net.blobs["data"].diff).sum() > 0


def test_partial_passes_match_the_full_pass(tmp_path):
    net = crema.Net(os.path.join(MODELS, "lenet", "deploy.prototxt"), crema.TEST)
    fill_params(net, 9)
    net.blobs["data"].data[...] = np.random.RandomState(0).rand(*net.blobs["data"].shape)
    full = net.forward()["prob"].copy()
    net.blobs["prob"].data[...] = 0
    part = net.forward(end="ip1")
    assert set(part) == {"ip1"}
    rest = net.forward(start="ip2", blobs=["ip2"])
    np.testing.assert_array_equal(rest["prob"], full)
    assert "ip2" in rest
