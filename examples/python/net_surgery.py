#!/usr/bin/env python3
"""Net surgery: turn CaffeNet's fully connected layers into convolutions, so
the net classifies every 227 x 227 window of a larger image in one pass. A
port of Caffe's "net_surgery" notebook to crema.

    PYTHONPATH=build/python python3 examples/python/net_surgery.py \\
        --weights bvlc_reference_caffenet.caffemodel --size 451

The fully convolutional net's prototxt is derived from the zoo's deploy net
here (the notebook ships it as a file). Without --weights, random weights.
"""
import argparse
import os
import tempfile

import numpy as np
from google.protobuf import text_format

import crema
from crema.proto import crema_pb2

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FC_TO_CONV = {"fc6": ("fc6-conv", 6), "fc7": ("fc7-conv", 1), "fc8": ("fc8-conv", 1)}


def full_conv_prototxt(deploy, size, path):
    """deploy with fc6/fc7/fc8 as convolutions (kernel 6, 1, 1) and a
    size x size input."""
    param = crema_pb2.NetParameter()
    with open(deploy) as f:
        text_format.Merge(f.read(), param)
    param.name += " (fully convolutional)"
    for layer in param.layer:
        if layer.type == "Input":
            layer.input_param.shape[0].dim[:] = [1, 3, size, size]
        for i, name in enumerate(layer.bottom):
            layer.bottom[i] = FC_TO_CONV.get(name, (name,))[0]
        for i, name in enumerate(layer.top):
            layer.top[i] = FC_TO_CONV.get(name, (name,))[0]
        if layer.name in FC_TO_CONV:
            new_name, kernel = FC_TO_CONV[layer.name]
            outputs = layer.inner_product_param.num_output
            layer.name, layer.type = new_name, "Convolution"
            layer.ClearField("inner_product_param")
            layer.convolution_param.num_output = outputs
            layer.convolution_param.kernel_size.append(kernel)
    with open(path, "w") as f:
        f.write(text_format.MessageToString(param))
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=os.path.join(ROOT, "models/caffenet/deploy.prototxt"))
    parser.add_argument("--weights")
    parser.add_argument("--size", type=int, default=451,
                        help="input size of the convolutional net (227 + 32k)")
    args = parser.parse_args()
    crema.set_log_level(2)
    work = tempfile.mkdtemp()

    net = crema.Net(args.model, crema.TEST)
    if args.weights:
        net.copy_from(args.weights)
    else:
        print("no --weights: random weights")
        rng = np.random.RandomState(0)
        for blobs in net.params.values():
            blobs[0].data[...] = rng.normal(0, 0.01, blobs[0].shape)
            blobs[1].data[...] = rng.normal(0, 0.01, blobs[1].shape)
    params = ["fc6", "fc7", "fc8"]
    fc_params = {p: (net.params[p][0].data, net.params[p][1].data) for p in params}
    for p in params:
        print("%s weights are %s dimensional and biases are %s dimensional"
              % (p, fc_params[p][0].shape, fc_params[p][1].shape))

    conv_file = full_conv_prototxt(args.model, args.size, os.path.join(work, "full_conv.prototxt"))
    net_full_conv = crema.Net(conv_file, crema.TEST)
    # Every layer but the three shares its weights by name.
    saved = os.path.join(work, "caffenet.caffemodel")
    net.save(saved)
    net_full_conv.copy_from(saved)
    params_full_conv = [FC_TO_CONV[p][0] for p in params]
    conv_params = {p: (net_full_conv.params[p][0].data, net_full_conv.params[p][1].data)
                   for p in params_full_conv}
    for p in params_full_conv:
        print("%s weights are %s dimensional and biases are %s dimensional"
              % (p, conv_params[p][0].shape, conv_params[p][1].shape))
    # The surgery: the same numbers, read as convolution kernels.
    for fc, conv in zip(params, params_full_conv):
        conv_params[conv][0].flat = fc_params[fc][0].flat
        conv_params[conv][1][...] = fc_params[fc][1]
    net_full_conv.save(os.path.join(work, "caffenet_full_conv.caffemodel"))

    image = np.random.RandomState(1).rand(1, 3, args.size, args.size) * 255 - 120
    out = net_full_conv.forward(data=image)
    scores = out["prob"][0]
    print("classification map (%d x %d):" % scores.shape[1:])
    print(scores.argmax(axis=0))

    # The surgery kept the numbers: fc6-conv at the top-left position is the
    # inner product of fc6's weights with the 6 x 6 pool5 window there.
    # (The whole window's scores differ from the 227 net's on that crop: the
    # padded convolutions see image instead of zeros at the crop's edges.)
    window = net_full_conv.blobs["pool5"].data[0, :, :6, :6].ravel()
    expected = np.maximum(fc_params["fc6"][0].dot(window) + fc_params["fc6"][1], 0)
    got = net_full_conv.blobs["fc6-conv"].data[0, :, 0, 0]
    difference = np.abs(got - expected).max() / max(np.abs(expected).max(), 1e-12)
    print("fc6-conv vs fc6 on the top-left window: relative difference %.1e" % difference)
    return 0 if difference < 1e-3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
