"""crema: Caffe-compatible deep learning; the Python interface.

A pycaffe program ports by changing ``import caffe`` to ``import crema``::

    import crema
    net = crema.Net('deploy.prototxt', crema.TEST, weights='w.caffemodel')
    net.blobs['data'].data[...] = image_batch
    out = net.forward()

See docs/python.md.
"""
from ._crema import (  # noqa: F401
    TRAIN, TEST, Blob, CremaError, LayerBlobs, Net, Solver,
    SGDSolver, NesterovSolver, AdaGradSolver, RMSPropSolver, AdaDeltaSolver,
    AdamSolver, get_solver, set_mode_cpu, set_mode_gpu, set_device,
    set_random_seed, layer_type_list, set_log_level, set_signal_effects)
from . import net as _net  # noqa: F401  (adds pycaffe's Net methods)
from .layer import Layer  # noqa: F401
from . import io  # noqa: F401
from . import onnx  # noqa: F401
from .classifier import Classifier  # noqa: F401
from .detector import Detector  # noqa: F401
from .net_spec import layers, params, NetSpec, to_proto  # noqa: F401

__version__ = "0.1.0"
