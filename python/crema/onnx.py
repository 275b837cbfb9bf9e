"""ONNX export and import (docs/onnx.md): the Python side of
tools/export_onnx and tools/import_onnx.

    crema.onnx.export(net, 'model.onnx')                       # a crema.Net
    crema.onnx.export('deploy.prototxt', 'model.onnx', weights='w.caffemodel')
    net = crema.onnx.import_('model.onnx', 'deploy.prototxt', 'w.caffemodel')
"""
from . import _crema


def export(net, onnx_file, weights=None, opset=13, fold_batch_norm_scale=True):
    """Writes `net` as an ONNX model: a crema.Net (its current weights and
    input shapes), or a deploy prototxt path with an optional .caffemodel."""
    if isinstance(net, _crema.Net):
        _crema._onnx_export_net(net, onnx_file, opset, fold_batch_norm_scale)
    else:
        _crema._onnx_export_files(str(net), str(weights or ""), str(onnx_file), opset,
                                  fold_batch_norm_scale)


def import_(onnx_file, prototxt, weights, phase=_crema.TEST):
    """Converts an ONNX model into `prototxt` and `weights` (a .caffemodel)
    and returns the crema.Net built from them."""
    _crema._onnx_import_files(str(onnx_file), str(prototxt), str(weights))
    return _crema.Net(str(prototxt), phase, weights=str(weights))
