"""crema.onnx: export a Net (and prototxt files) and import the ONNX model back."""
import os

import numpy as np
import pytest

import crema
from conftest import MODELS

LENET = os.path.join(MODELS, "lenet", "deploy.prototxt")


def random_lenet():
    net = crema.Net(LENET, crema.TEST)
    rng = np.random.RandomState(3)
    for blobs in net.params.values():
        for blob in blobs:
            blob.data[...] = rng.normal(0, 0.2, blob.data.shape)
    net.blobs["data"].reshape(4, 1, 28, 28)
    net.reshape()
    net.blobs["data"].data[...] = rng.rand(4, 1, 28, 28)
    return net


def test_net_round_trip(tmp_path):
    net = random_lenet()
    expected = net.forward()["prob"].copy()
    path = str(tmp_path / "lenet.onnx")
    crema.onnx.export(net, path)
    try:
        import onnx
        onnx.checker.check_model(onnx.load(path))
    except ImportError:
        pass  # python3-onnx is not installed: the round trip below still checks
    back = crema.onnx.import_(path, str(tmp_path / "back.prototxt"),
                              str(tmp_path / "back.caffemodel"))
    # the ONNX graph keeps the input shape the net had when exported
    assert back.blobs["data"].data.shape == (4, 1, 28, 28)
    back.blobs["data"].data[...] = net.blobs["data"].data
    got = back.forward()["prob"]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # the weights a view changed are the ones exported
    net.params["ip2"][1].data[...] = 0
    net.params["ip2"][0].data[...] = 0
    net.params["ip2"][1].data[2] = 5
    crema.onnx.export(net, path)
    again = crema.onnx.import_(path, str(tmp_path / "again.prototxt"),
                               str(tmp_path / "again.caffemodel"))
    again.blobs["data"].data[...] = net.blobs["data"].data
    assert np.all(again.forward()["prob"].argmax(axis=1) == 2)


def test_files_export(tmp_path):
    path = tmp_path / "lenet.onnx"
    crema.onnx.export(LENET, path, opset=17)
    assert path.stat().st_size > 1000


def test_errors_raise(tmp_path):
    with pytest.raises(crema.CremaError, match="opset"):
        crema.onnx.export(LENET, tmp_path / "x.onnx", opset=9)
    with pytest.raises(crema.CremaError, match="none.onnx"):
        crema.onnx.import_(tmp_path / "none.onnx", tmp_path / "a.prototxt",
                           tmp_path / "a.caffemodel")
