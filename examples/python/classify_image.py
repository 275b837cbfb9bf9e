#!/usr/bin/env python3
"""Classify an image with CaffeNet: a port of Caffe's "00-classification"
notebook to crema.

    PYTHONPATH=build/python python3 examples/python/classify_image.py \\
        --weights bvlc_reference_caffenet.caffemodel --labels synset_words.txt cat.jpg

Without --weights the net gets random weights (the predictions are then
meaningless, but every step runs); without an image a generated one is used.
"""
import argparse
import os
import tempfile

import numpy as np

import crema

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def generated_image(folder):
    """A 256 x 256 color test pattern, written as PPM (OpenCV reads it)."""
    y, x = np.mgrid[0:256, 0:256]
    rgb = np.stack([x, y, (x + y) // 2], axis=-1).astype(np.uint8)
    path = os.path.join(folder, "pattern.ppm")
    with open(path, "wb") as f:
        f.write(b"P6\n256 256\n255\n" + rgb.tobytes())
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("image", nargs="?")
    parser.add_argument("--model", default=os.path.join(ROOT, "models/caffenet/deploy.prototxt"))
    parser.add_argument("--weights")
    parser.add_argument("--mean", nargs=3, type=float, default=[104.0, 117.0, 123.0],
                        help="per-channel BGR mean (ImageNet's by default)")
    parser.add_argument("--labels", help="synset_words.txt: one label per line")
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    crema.set_mode_cpu()
    crema.set_log_level(2)
    work = tempfile.mkdtemp()

    net = crema.Net(args.model, crema.TEST)
    if args.weights:
        net.copy_from(args.weights)
    else:
        print("no --weights: random weights, so the classes mean nothing")
        rng = np.random.RandomState(0)
        for blobs in net.params.values():
            blobs[0].data[...] = rng.normal(0, 0.01, blobs[0].shape)

    # The input: BGR, 0..255, mean subtracted, C x H x W.
    transformer = crema.io.Transformer({"data": net.blobs["data"].data.shape})
    transformer.set_transpose("data", (2, 0, 1))   # H x W x C -> C x H x W
    transformer.set_mean("data", np.array(args.mean))
    transformer.set_raw_scale("data", 255)         # [0, 1] -> [0, 255]
    transformer.set_channel_swap("data", (2, 1, 0))  # RGB -> BGR

    # The batch of the notebook (50), or smaller to go faster.
    net.blobs["data"].reshape(args.batch, 3, 227, 227)
    net.reshape()

    image = crema.io.load_image(args.image or generated_image(work))
    net.blobs["data"].data[...] = transformer.preprocess("data", image)
    output = net.forward()
    probs = output["prob"][0]
    print("predicted class is:", probs.argmax())

    labels = None
    if args.labels:
        with open(args.labels) as f:
            labels = [line.strip() for line in f]
    for i in probs.argsort()[::-1][:5]:
        print("%.5f %s" % (probs[i], labels[i] if labels else "class %d" % i))

    # What the net holds: activations and parameters, layer by layer.
    for name, blob in net.blobs.items():
        print("%-8s %s" % (name, "x".join(map(str, blob.data.shape))))
    for name, blobs in net.params.items():
        print("%-8s weights %s bias %s" % (name, blobs[0].data.shape, blobs[1].data.shape))
    first_filters = net.params["conv1"][0].data
    print("conv1 filters: %d of %s" % (first_filters.shape[0], first_filters.shape[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
