"""A Python layer (a Euclidean loss) trains exactly as the C++ EuclideanLoss,
from Python and from tools/train; import failures name the module."""
import os
import subprocess
import textwrap

import numpy as np
import pytest

import crema
from conftest import run_tool, tool, write

LAYER_MODULE = '''
import numpy as np
import crema


class EuclideanLoss(crema.Layer):
    """loss = sum((a - b)^2) / num / 2, as Caffe's EuclideanLoss."""

    def setup(self, bottom, top):
        if len(bottom) != 2:
            raise ValueError("EuclideanLoss needs two bottoms")
        self.seen_param_str = self.param_str

    def reshape(self, bottom, top):
        if bottom[0].count != bottom[1].count:
            raise ValueError("the bottoms differ in size")
        self.diff = np.zeros_like(bottom[0].data, dtype=np.float32)
        top[0].reshape(1)

    def forward(self, bottom, top):
        np.subtract(bottom[0].data, bottom[1].data.reshape(bottom[0].shape), out=self.diff)
        top[0].data[0] = np.float32(np.sum(self.diff * self.diff) / bottom[0].num / 2.0)

    def backward(self, top, propagate_down, bottom):
        for i in range(2):
            if not propagate_down[i]:
                continue
            sign = np.float32(1 if i == 0 else -1)
            alpha = sign * top[0].diff[0] / np.float32(bottom[i].num)
            bottom[i].diff[...] = (np.float32(alpha) * self.diff).reshape(bottom[i].shape)
'''

NET = """
name: "regress"
layer { name: "data" type: "DummyData" top: "data" top: "target"
  dummy_data_param { shape { dim: 8 dim: 1 dim: 10 dim: 10 } shape { dim: 8 dim: 3 }
    data_filler { type: "gaussian" std: 1 } data_filler { type: "gaussian" std: 1 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "xavier" } } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "ip1" type: "InnerProduct" bottom: "conv1" top: "ip1"
  inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
%s
"""
CPP_LOSS = 'layer { name: "loss" type: "EuclideanLoss" bottom: "ip1" bottom: "target" top: "loss" }'
PY_LOSS = ('layer { name: "loss" type: "Python" bottom: "ip1" bottom: "target" top: "loss"\n'
           '  python_param { module: "pyloss" layer: "EuclideanLoss" param_str: "hello" }\n'
           '  loss_weight: 1 }')


def make_solver_file(tmp_path, loss, tag):
    net = write(tmp_path / ("net_%s.prototxt" % tag), NET % loss)
    return write(tmp_path / ("solver_%s.prototxt" % tag), textwrap.dedent("""\
        net: "%s"
        base_lr: 0.01 momentum: 0.9 lr_policy: "fixed" max_iter: 15 display: 0
        random_seed: 5 snapshot_prefix: "%s"
        """) % (net, tmp_path / ("snap_" + tag)))


def trained(solver_file, iterations):
    solver = crema.SGDSolver(solver_file)
    solver.step(iterations)
    return solver


def test_python_loss_trains_like_cpp(python_path_with):
    tmp_path = python_path_with
    write(tmp_path / "pyloss.py", LAYER_MODULE)
    cpp = trained(make_solver_file(tmp_path, CPP_LOSS, "cpp"), 15)
    py = trained(make_solver_file(tmp_path, PY_LOSS, "py"), 15)
    for name in ("conv1", "ip1"):
        for a, b in zip(cpp.net.params[name], py.net.params[name]):
            np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    assert py.net.layers[-1].type == "Python"
    np.testing.assert_allclose(py.net.blobs["loss"].data, cpp.net.blobs["loss"].data,
                               rtol=1e-5)


def test_python_layer_in_tools_train(python_path_with):
    tmp_path = python_path_with
    write(tmp_path / "pyloss.py", LAYER_MODULE)
    train = tool("train")
    solver_file = make_solver_file(tmp_path, PY_LOSS, "py")
    env_path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=env_path, GLOG_minloglevel="1")
    done = subprocess.run([train, "--solver=" + solver_file, "--iterations=15"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, env=env)
    assert done.returncode == 0, done.stdout
    py = trained(make_solver_file(tmp_path, CPP_LOSS, "cpp"), 15)
    net = crema.Net(str(tmp_path / "net_cpp.prototxt"), crema.TRAIN,
                    weights=str(tmp_path / "snap_py_iter_15.caffemodel"))
    for name in ("conv1", "ip1"):
        for a, b in zip(py.net.params[name], net.params[name]):
            np.testing.assert_array_equal(a.data, b.data, err_msg=name)


def test_missing_module_is_named(tmp_path):
    path = write(tmp_path / "n.prototxt", NET % PY_LOSS.replace("pyloss", "no_such_module"))
    with pytest.raises(crema.CremaError, match="no_such_module"):
        crema.Net(path, crema.TRAIN)


def test_missing_module_in_a_tool(tmp_path):
    train = tool("train")
    solver_file = make_solver_file(tmp_path, PY_LOSS.replace("pyloss", "no_such_module"), "x")
    done = run_tool([train, "--solver=" + solver_file])
    assert done.returncode == 1
    assert "no_such_module" in done.stdout


def test_layer_errors_reach_python(python_path_with):
    tmp_path = python_path_with
    write(tmp_path / "pyloss.py", LAYER_MODULE)
    bad = PY_LOSS.replace('bottom: "target"', 'bottom: "data"')
    path = write(tmp_path / "n.prototxt", NET % bad)
    with pytest.raises(ValueError, match="differ in size"):
        crema.Net(path, crema.TRAIN)


def test_param_str_phase_and_blobs(python_path_with):
    tmp_path = python_path_with
    write(tmp_path / "scaler.py", textwrap.dedent('''
        import crema

        class Scale(crema.Layer):
            def setup(self, bottom, top):
                self.blobs.add_blob(1)
                self.blobs[0].data[0] = float(self.param_str)
                self.train = self.phase == crema.TRAIN
            def reshape(self, bottom, top):
                top[0].reshape(*bottom[0].shape)
            def forward(self, bottom, top):
                top[0].data[...] = bottom[0].data * self.blobs[0].data[0]
            def backward(self, top, propagate_down, bottom):
                bottom[0].diff[...] = top[0].diff * self.blobs[0].data[0]
        '''))
    path = write(tmp_path / "n.prototxt", textwrap.dedent('''
        layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }
        layer { name: "s" type: "Python" bottom: "x" top: "y"
                python_param { module: "scaler" layer: "Scale" param_str: "2.5" } }
        '''))
    net = crema.Net(path, crema.TEST)
    out = net.forward(x=np.ones((2, 3)))
    np.testing.assert_array_equal(out["y"], np.full((2, 3), 2.5, np.float32))
    assert len(net.params["s"]) == 1
