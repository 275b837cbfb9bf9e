"""How far bf16 and int8 arithmetic itself moves the zoo nets' outputs.

crema's reduced-precision engine rounds each convolution's and inner
product's input and weights (bf16: to 8 significant bits; int8: to 255 or
127 steps of a calibrated range, weights per output channel) and
accumulates in fp32. This script computes the same nets in PyTorch with
exactly that rounding and nothing else (every product and sum in fp32), so
its top-1 agreement with fp32 is what the number formats allow on these
nets, whatever the engine. For comparison it also runs PyTorch's own bf16
(torch.autocast on the CPU, which also keeps activations in bf16).

The setup follows the CREMA_PRECISION_ZOO test (test_dnnl_precision.cpp):
the deploy nets without their softmax, He (msra) weights, zero biases,
logits compared over generated images, int8 calibrated on 20 other images.

Where crema's Python module is built (build/python, or CREMA_PYTHON), the
same nets also run in crema, with the same weights, images and int8 ranges
and bias corrections: the "crema" rows, beside the rounding they implement.

Usage: /usr/bin/python3 bench/precision_floor.py [alexnet|vgg16] [IMAGES] [THREADS] [ONLY]
  ONLY: layer names (conv3,fc6) to round; the others stay fp32, as with
  CREMA_PRECISION_ONLY in the test.
"""
import math
import os
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_models import MODELS

BATCH = 25
CALIBRATION_IMAGES = 20
NAMES = {
    "alexnet": ["conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"],
    "vgg16": [f"conv{s}_{i}" for s, n in [(1, 2), (2, 2), (3, 3), (4, 3), (5, 3)]
              for i in range(1, n + 1)] + ["fc6", "fc7", "fc8"],
}


def he_filled(name):
    torch.manual_seed(1701)
    model, shape = MODELS[name]()
    layers = [m for m in model if not isinstance(m, (nn.Softmax, nn.Dropout))]
    for m in layers:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()  # Caffe's msra: inputs per output
            nn.init.normal_(m.weight, std=math.sqrt(2.0 / fan_in))
            nn.init.zeros_(m.bias)
    return nn.Sequential(*layers).eval(), shape


def scenes(first, count, shape):
    """Colour scenes in [0, 1]: a gradient and a few filled boxes and discs."""
    c, h, w = shape
    out = torch.empty(count, c, h, w)
    ys = torch.linspace(0, 1, h).view(h, 1)
    xs = torch.linspace(0, 1, w).view(1, w)
    for i in range(count):
        g = torch.Generator().manual_seed(100003 * (first + i) + 7)
        r = lambda *s: torch.rand(*s, generator=g)
        img = (r(c, 1, 1) + r(c, 1, 1) * ys + r(c, 1, 1) * xs) / 3
        for _ in range(3 + int(r(1) * 5)):
            cy, cx, ry, rx = r(4).tolist()
            ry, rx = 0.05 + 0.3 * ry, 0.05 + 0.3 * rx
            if r(1) < 0.5:
                mask = ((ys - cy).abs() < ry) & ((xs - cx).abs() < rx)
            else:
                mask = ((ys - cy) / ry) ** 2 + ((xs - cx) / rx) ** 2 < 1
            img = torch.where(mask, r(c, 1, 1), img)
        out[i] = img
    return out


def bf16(t):
    return t.to(torch.bfloat16).float()  # round to nearest even


def quantize(t, step, lo, hi):
    return torch.clamp(torch.round(t / step), lo, hi) * step


class Int8Layer:
    """One layer's int8 rounding: its input range and signedness, weight steps."""

    def __init__(self, layer, inputs, method):
        self.signed = bool((inputs < 0).any())
        self.hi = 127 if self.signed else 255
        self.lo = -127 if self.signed else 0
        self.range = self.pick_range(inputs, method)
        w = layer.weight.detach()
        per_output = w.abs().reshape(w.shape[0], -1).amax(1).clamp_min(1e-30)
        self.weight_steps = (per_output / 127).view(-1, *[1] * (w.dim() - 1))
        self.weights = quantize(w, self.weight_steps, -127, 127)
        self.offset = None

    def pick_range(self, x, method):
        values = x.flatten()
        if values.numel() > 2_000_000:
            values = values[torch.randperm(values.numel())[:2_000_000]]
        top = values.abs().max().item()
        if method == "maxabs" or top == 0:
            return top
        # mse: the clipping range that rounds the inputs seen with the least
        # squared error.
        best, best_err = top, math.inf
        for k in range(1, 201):
            t = top * k / 200
            err = (quantize(values, t / self.hi, self.lo, self.hi) - values).pow(2).mean().item()
            if err < best_err:
                best, best_err = t, err
        return best

    def inputs(self, x):
        return quantize(x, self.range / self.hi, self.lo, self.hi)


def apply(layer, x, weight):
    if isinstance(layer, nn.Conv2d):
        return F.conv2d(x, weight, layer.bias, layer.stride, layer.padding,
                        layer.dilation, layer.groups)
    return F.linear(x, weight, layer.bias)


def forward(model, x, mode, int8=None, record=None, only=None):
    for i, layer in enumerate(model):
        if isinstance(layer, (nn.Conv2d, nn.Linear)) and (only is None or i in only):
            if record is not None:
                record.setdefault(i, []).append(x)
            if mode == "bf16":
                x = apply(layer, bf16(x), bf16(layer.weight))
            elif mode == "int8":
                q = int8[i]
                y = apply(layer, q.inputs(x), q.weights)
                if q.offset is not None:
                    y = y - q.offset.view(1, -1, *[1] * (y.dim() - 2))
                x = y
            else:
                x = layer(x)
        else:
            x = layer(x)
    return x


def calibrate(model, shape, method, correct_bias):
    recorded = {}
    with torch.no_grad():
        forward(model, scenes(50000, CALIBRATION_IMAGES, shape), "fp32", record=recorded)
    int8 = {i: Int8Layer(model[i], torch.cat(xs), method) for i, xs in recorded.items()}
    if correct_bias:
        # The mean offset rounding adds to each output channel, given the
        # fp32 net's inputs to the layer (what crema's calibrate measures).
        with torch.no_grad():
            for i, q in int8.items():
                x = torch.cat(recorded[i])
                diff = apply(model[i], q.inputs(x), q.weights) - model[i](x)
                q.offset = diff.transpose(0, 1).reshape(diff.shape[1], -1).mean(1)
    return int8


def crema_module():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.environ.get("CREMA_PYTHON", os.path.join(root, "build", "python")))
    try:
        import crema
        from crema.proto import crema_pb2
        from google.protobuf import text_format
    except ImportError as e:
        print(f"(no crema rows: its Python module does not load: {e})")
        return None
    crema.set_log_level(2)

    def make(name, model, precision, int8=None, calibration=None, batch=BATCH):
        """The zoo net in crema with `model`'s weights and int8 calibration
        (the script's, or a calibration file's text)."""
        net = crema_pb2.NetParameter()
        with open(os.path.join(root, "models", name, "deploy.prototxt")) as f:
            text_format.Merge(f.read(), net)
        layers = [layer for layer in net.layer if layer.type != "Softmax"]
        del net.layer[:]
        net.layer.extend(layers)
        net.layer[0].input_param.shape[0].dim[0] = batch
        text_format.Merge(f"precision: {precision.upper()}", net)
        if calibration is not None:
            text_format.Merge(calibration, net.calibration)
        weighted = [i for i, m in enumerate(model) if isinstance(m, (nn.Conv2d, nn.Linear))]
        index = dict(zip(NAMES[name], weighted))
        for layer in net.layer:
            if int8 is not None and layer.name in index:
                q, c = int8[index[layer.name]], layer.calibration
                c.input_max = q.range
                c.input_signed = q.signed
                if q.offset is not None:
                    c.bias_correction.extend(q.offset.tolist())
        with tempfile.NamedTemporaryFile("w", suffix=".prototxt", delete=False) as f:
            f.write(text_format.MessageToString(net))
        result = crema.Net(f.name, crema.TEST)
        os.unlink(f.name)
        for layer, i in index.items():
            result.params[layer][0].data[...] = model[i].weight.detach().numpy()
            result.params[layer][1].data[...] = model[i].bias.detach().numpy()
        return result

    def run(net, x):
        net.blobs["data"].reshape(*x.shape)
        net.blobs["data"].data[...] = x.numpy()
        return torch.from_numpy(net.forward()[net.outputs[0]].copy())

    def calibrate(name, model, shape, method, correct_bias):
        """crema's own calibration (Net.calibrate) on the script's images."""
        net = make(name, model, "fp32", batch=CALIBRATION_IMAGES)
        images = scenes(50000, CALIBRATION_IMAGES, shape).numpy()

        def feed(_):
            net.blobs["data"].data[...] = images
        return net.calibrate(feed, iterations=1, method=method, bias_correction=correct_bias)

    return make, run, calibrate


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "alexnet"
    images = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    model, shape = he_filled(name)
    only = None
    if len(sys.argv) > 4:
        weighted = [i for i, m in enumerate(model) if isinstance(m, (nn.Conv2d, nn.Linear))]
        index = dict(zip(NAMES[name], weighted))
        only = {index[n] for n in sys.argv[4].split(",")}
    runs = [("bf16, rounding only", "bf16", None)]
    if only is None:
        runs.append(("bf16, PyTorch autocast", "autocast", None))
    for method in ("maxabs", "mse"):
        for correct in (False, True):
            label = f"int8, {method}" + (", bias correction" if correct else "")
            runs.append((label, "int8", calibrate(model, shape, method, correct)))
    rounded = len(runs)
    crema = crema_module() if only is None else None
    if crema is not None:
        # Made when their turn comes, one net at a time (VGG16's weights are
        # half a gigabyte).
        make, run, calibrate_crema = crema
        runs = [("crema fp32", "crema", lambda: make(name, model, "fp32"))] + runs
        for label, mode, int8 in runs[1:rounded + 1]:
            if mode == "autocast":
                continue
            runs.append(("crema " + label.replace("rounding only", "engine"), "crema",
                         lambda mode=mode, int8=int8: make(name, model, mode, int8)))
        # crema's calibration in place of the script's (same images).
        for method in ("maxabs", "mse"):
            for correct in (False, True):
                label = f"crema int8, its {method} calibration" + (", bias corr." if correct else "")
                runs.append((label, "crema", lambda method=method, correct=correct: make(
                    name, model, "int8",
                    calibration=calibrate_crema(name, model, shape, method, correct))))
    same = [0] * len(runs)
    err = [0.0] * len(runs)
    with torch.no_grad():
        batches = [scenes(first, min(BATCH, images - first), shape)
                   for first in range(0, images, BATCH)]
        refs = [forward(model, x, "fp32") for x in batches]
        classes = {c for ref in refs for c in ref.argmax(1).tolist()}
        ref_sq = sum(ref.pow(2).sum().item() for ref in refs)
        for k, (_, mode, arg) in enumerate(runs):
            net = arg() if mode == "crema" else None
            for x, ref in zip(batches, refs):
                if mode == "crema":
                    got = run(net, x)
                elif mode == "autocast":
                    with torch.autocast("cpu", dtype=torch.bfloat16):
                        got = model(x).float()
                else:
                    got = forward(model, x, mode, arg, only=only)
                same[k] += (got.argmax(1) == ref.argmax(1)).sum().item()
                err[k] += (got - ref).pow(2).sum().item()
            del net
    if only is not None:
        print(f"only {sys.argv[4]} rounded")
    print(f"{name}: {images} images, {len(classes)} distinct fp32 top-1 classes")
    print(f"{'arithmetic':48s} {'top-1 agreement':>16s} {'logits rel. error':>18s}")
    for k, (label, _, _) in enumerate(runs):
        print(f"{label:48s} {100.0 * same[k] / images:15.1f}% "
              f"{math.sqrt(err[k] / ref_sq):18.4f}")


if __name__ == "__main__":
    main()
