"""A forward loop in Python holds resident memory flat."""
import os

import numpy as np

import crema
from conftest import MODELS


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_forward_loop_does_not_leak():
    net = crema.Net(os.path.join(MODELS, "lenet", "deploy.prototxt"), crema.TEST)
    net.blobs["data"].reshape(4, 1, 28, 28)
    net.reshape()
    image = np.random.RandomState(0).rand(4, 1, 28, 28)

    def run(n):
        total = 0.0
        for _ in range(n):
            out = net.forward(data=image)
            total += float(out["prob"][0, 0])
            total += float(net.params["conv1"][0].data[0, 0, 0, 0])
            total += float(net.blobs["ip1"].diff[0, 0])
        return total

    run(100)  # warm up: caches, allocator pools
    before = resident_bytes()
    run(1000)
    grown = resident_bytes() - before
    # 1000 iterations that each leaked a view, a dict or a blob wrapper would
    # add more than this
    assert grown < 256 << 10, "resident memory grew by %d bytes" % grown
