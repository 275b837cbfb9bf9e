"""A bad prototxt raises a Python exception with crema's sentence."""
import os

import pytest

import crema
from conftest import MODELS, write


def test_missing_file():
    with pytest.raises(crema.CremaError, match="nope.prototxt"):
        crema.Net("nope.prototxt", crema.TEST)


def test_syntax_error_names_line(tmp_path):
    path = write(tmp_path / "bad.prototxt", 'name: "x"\nlayer { name: "a" type: "Input" top: "d"\n')
    with pytest.raises(crema.CremaError, match="bad.prototxt"):
        crema.Net(path, crema.TEST)


def test_unknown_layer_type(tmp_path):
    path = write(tmp_path / "t.prototxt", 'layer { name: "a" type: "NoSuchLayer" top: "d" }\n')
    with pytest.raises(crema.CremaError, match="NoSuchLayer"):
        crema.Net(path, crema.TEST)


def test_missing_bottom(tmp_path):
    path = write(tmp_path / "t.prototxt",
                 'layer { name: "r" type: "ReLU" bottom: "nowhere" top: "r" }\n')
    with pytest.raises(crema.CremaError, match="nowhere"):
        crema.Net(path, crema.TEST)


def test_bad_arguments():
    model = os.path.join(MODELS, "lenet", "deploy.prototxt")
    with pytest.raises(ValueError):
        crema.Net(model, 7)
    with pytest.raises(crema.CremaError):
        crema.Net(model, "missing.caffemodel", crema.TEST)
    net = crema.Net(model, crema.TEST)
    with pytest.raises(ValueError):
        net.forward(start="nosuchlayer")
    with pytest.raises(crema.CremaError):
        net.copy_from("missing.caffemodel")
    with pytest.raises(crema.CremaError):
        crema.get_solver("missing_solver.prototxt")
    # still alive and working
    assert net.forward()["prob"].shape == (64, 10)


def test_exception_is_a_runtime_error():
    assert issubclass(crema.CremaError, RuntimeError)
