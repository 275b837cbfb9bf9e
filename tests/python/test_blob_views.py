"""numpy views alias blob memory; shapes; net.reshape."""
import os

import numpy as np
import pytest

import crema
from conftest import MODELS


@pytest.fixture
def lenet():
    return crema.Net(os.path.join(MODELS, "lenet", "deploy.prototxt"), crema.TEST)


def test_views_write_through_and_read_back(lenet):
    data = lenet.blobs["data"].data
    data[...] = 0.5
    # a fresh view sees the write: same memory, no copy
    assert np.all(lenet.blobs["data"].data == 0.5)
    assert np.shares_memory(data, lenet.blobs["data"].data)
    assert data.dtype == np.float32 and data.flags.writeable
    weights = lenet.params["conv1"][0]
    weights.data[0, 0, 0, 0] = 3.25
    assert lenet.params["conv1"][0].data[0, 0, 0, 0] == 3.25
    weights.diff[...] = 2
    assert np.all(lenet.layers[1].blobs[0].diff == 2)


def test_forward_reads_what_the_view_wrote(lenet):
    lenet.params["ip2"][1].data[...] = 0
    lenet.params["ip2"][0].data[...] = 0
    lenet.params["ip2"][1].data[3] = 10
    out = lenet.forward()["prob"]
    assert out.shape == (64, 10)
    assert np.all(out.argmax(axis=1) == 3)
    # the returned array is a view of the output blob
    assert np.shares_memory(out, lenet.blobs["prob"].data)


def test_reduced_precision_forward_reads_what_a_held_view_wrote(tmp_path):
    # A bf16 net keeps bf16 copies of its weights; a write through a view
    # held across passes reaches them (on CPUs without bf16 the net runs
    # fp32, and the same holds).
    with open(os.path.join(MODELS, "lenet", "deploy.prototxt")) as f:
        text = "precision: BF16\n" + f.read()
    path = tmp_path / "lenet_bf16.prototxt"
    path.write_text(text)
    net = crema.Net(str(path), crema.TEST)
    weights, bias = net.params["ip2"][0].data, net.params["ip2"][1].data
    net.params["ip1"][0].data[...] = np.random.RandomState(1).rand(*net.params["ip1"][0].shape)
    weights[...] = 100 * np.random.RandomState(2).randn(*weights.shape)
    net.forward(data=np.random.RandomState(3).rand(*net.blobs["data"].shape))
    # the bf16 copies were made there: now change the weights under them
    weights[...] = 0
    bias[...] = 0
    bias[7] = 10
    assert np.all(net.forward()["prob"].argmax(axis=1) == 7)


def test_view_tracks_values_across_passes(lenet):
    prob = lenet.blobs["prob"].data
    lenet.blobs["data"].data[...] = 0
    lenet.forward()
    first = prob.copy()
    lenet.blobs["data"].data[...] = np.random.RandomState(0).rand(64, 1, 28, 28)
    lenet.forward()
    assert not np.array_equal(first, prob)  # the old view sees the new values


def test_reshape_blob_and_net(lenet):
    lenet.blobs["data"].reshape(2, 1, 28, 28)
    lenet.reshape()
    assert lenet.blobs["prob"].data.shape == (2, 10)
    assert lenet.blobs["data"].num == 2 and lenet.blobs["data"].count == 2 * 28 * 28
    out = lenet.forward(data=np.ones((2, 1, 28, 28)))
    assert out["prob"].shape == (2, 10)
    with pytest.raises(ValueError):
        lenet.forward(data=np.ones((3, 1, 28, 28)))
    with pytest.raises(ValueError):
        lenet.blobs["data"].reshape(2, -1, 28, 28)


def test_standalone_blob():
    blob = crema.Blob(2, 3)
    blob.data[...] = [[1, 2, 3], [4, 5, 6]]
    assert blob.data.sum() == 21
    assert blob.shape == (2, 3)
    blob.reshape((6,))
    assert blob.data.shape == (6,)


def test_views_outlive_the_net():
    net = crema.Net(os.path.join(MODELS, "lenet", "deploy.prototxt"), crema.TEST)
    view = net.params["ip1"][0].data
    del net
    view[...] = 1  # the memory is still alive
    assert view.sum() == view.size


CONV_NET = """
input: "data" input_shape { dim: 2 dim: 3 dim: 19 dim: 19 }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
  convolution_param { num_output: 20 kernel_size: 5 stride: 2 engine: DNNL
    weight_filler { type: "gaussian" std: 0.1 } bias_filler { type: "constant" value: 0.2 } } }
layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" relu_param { engine: DNNL } }
"""


def test_views_held_across_passes_reach_the_engine(tmp_path):
    # The oneDNN convolution keeps its own arrangement of the weights beside
    # the plain values a view shows; a write through a view held from before
    # a pass must still reach the next pass.
    path = tmp_path / "conv.prototxt"
    path.write_text(CONV_NET)
    net = crema.Net(str(path), crema.TEST)
    weights, bias = net.params["conv"][0].data, net.params["conv"][1].data
    data = net.blobs["data"].data
    data[...] = np.random.RandomState(1).rand(*data.shape)
    first = net.forward()["conv"].copy()
    assert first.std() > 0
    weights[...] = 0
    bias[...] = 1.5
    assert np.all(net.forward()["conv"] == 1.5)
    weights[...] = -1  # ReLU clamps every output to zero now
    assert np.all(net.forward()["conv"] == 0)
    # and the gradient of the new weights flows too
    net.blobs["conv"].diff[...] = 1
    net.backward()
    assert np.all(net.params["conv"][1].diff == 0)
