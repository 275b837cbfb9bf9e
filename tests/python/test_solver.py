"""solver.step equals tools/train bit for bit; snapshots, restore; Ctrl-C."""
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import crema
from conftest import BUILD, ROOT, run_tool, tool, write

# A small LeNet-like net on random data (DummyData draws from the solver's
# seeded random engine, so every run sees the same batches).
NET = """
name: "tiny"
layer { name: "data" type: "DummyData" top: "data" top: "label"
  dummy_data_param {
    shape { dim: 8 dim: 1 dim: 12 dim: 12 } shape { dim: 8 }
    data_filler { type: "gaussian" std: 1 } data_filler { type: "uniform" min: 0 max: 3.99 } } }
layer { name: "floor" type: "Power" bottom: "label" top: "label" }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "xavier" } } }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
  pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "ip1" type: "InnerProduct" bottom: "pool1" top: "ip1"
  inner_product_param { num_output: 16 weight_filler { type: "xavier" } } }
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
  inner_product_param { num_output: 4 weight_filler { type: "xavier" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
"""


def solver_file(tmp_path, net_text=NET, extra=""):
    write(tmp_path / "net.prototxt", net_text)
    return write(tmp_path / "solver.prototxt", textwrap.dedent("""\
        net: "%s"
        base_lr: 0.05 momentum: 0.9 weight_decay: 0.0005 lr_policy: "fixed"
        max_iter: 20 display: 0 random_seed: 17
        snapshot_prefix: "%s"
        %s""") % (tmp_path / "net.prototxt", tmp_path / "snap", extra))


def caffemodel_params(path):
    from crema.proto import crema_pb2
    param = crema_pb2.NetParameter()
    with open(path, "rb") as f:
        param.ParseFromString(f.read())
    return {layer.name: [crema.io.blobproto_to_array(b) for b in layer.blobs]
            for layer in param.layer if layer.blobs}


def assert_same_params(net, params):
    assert set(net.params) == set(params)
    for name, blobs in net.params.items():
        for blob, expected in zip(blobs, params[name]):
            np.testing.assert_array_equal(blob.data, expected.reshape(blob.shape),
                                          err_msg=name)


def test_step_equals_tools_train(tmp_path):
    train = tool("train")
    solver_path = solver_file(tmp_path)
    done = run_tool([train, "--solver=" + solver_path, "--iterations=12"])
    assert done.returncode == 0, done.stdout
    expected = caffemodel_params(str(tmp_path / "snap_iter_12.caffemodel"))

    solver = crema.get_solver(solver_path)
    assert solver.type == "SGD" and solver.iter == 0
    solver.step(5)
    solver.step(7)
    assert solver.iter == 12
    assert_same_params(solver.net, expected)


def test_solve_snapshot_restore(tmp_path):
    solver = crema.SGDSolver(solver_file(tmp_path, extra="snapshot: 10"))
    solver.solve()
    assert solver.iter == 20
    final = {k: [b.data.copy() for b in v] for k, v in solver.net.params.items()}
    assert os.path.exists(str(tmp_path / "snap_iter_20.caffemodel"))

    resumed = crema.SGDSolver(str(tmp_path / "solver.prototxt"))
    resumed.restore(str(tmp_path / "snap_iter_10.solverstate"))
    assert resumed.iter == 10
    resumed.step(10)
    for name, blobs in resumed.net.params.items():
        for blob, value in zip(blobs, final[name]):
            np.testing.assert_array_equal(blob.data, value)
    resumed.snapshot()
    assert os.path.exists(str(tmp_path / "snap_iter_20.solverstate"))


def test_test_nets_share_weights(tmp_path):
    solver = crema.SGDSolver(solver_file(tmp_path, extra='test_net: "%s" test_iter: 1 '
                                         'test_interval: 1000' % (tmp_path / "net.prototxt")))
    assert len(solver.test_nets) == 1
    solver.step(1)
    np.testing.assert_array_equal(solver.test_nets[0].params["ip2"][0].data,
                                  solver.net.params["ip2"][0].data)


def test_ctrl_c_snapshots_and_stops(tmp_path):
    solver_path = solver_file(tmp_path)
    script = write(tmp_path / "train.py", textwrap.dedent("""\
        import os, signal, sys, threading
        import crema
        crema.set_log_level(2)
        solver = crema.SGDSolver(%r)
        threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        try:
            solver.step(10 ** 7)
        except KeyboardInterrupt:
            print("stopped at", solver.iter)
            sys.exit(3)
        """) % solver_path)
    done = subprocess.run([sys.executable, script], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
    assert done.returncode == 3, done.stdout
    iteration = int(done.stdout.split("stopped at")[1].split()[0])
    assert os.path.exists(str(tmp_path / ("snap_iter_%d.caffemodel" % iteration)))
