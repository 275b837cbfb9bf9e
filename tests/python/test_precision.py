"""bf16 and int8 compute exactly the rounding docs/precision.md describes.

A small net (signed input, grouped convolution, pooling, ReLU, an inner
product at both of the engine's batch paths) runs in crema and in numpy.
numpy rounds each convolution's and inner product's input and weights the
documented way (bf16: to nearest even; int8: 255 or 127 steps of the
layer's calibrated input range and 127 steps of each output channel's
largest weight, minus the bias correction) and computes the rest in float64.
crema's output must match it to within 1e-3 (it matches to about 1e-7;
the rounding itself moves the logits by 0.4% in bf16 and 4-7% in int8):
a wrong rounding mode, scale axis, saturation or bias correction shows.
"""
import os

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import crema
from conftest import write

NET = """
name: "small"
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: %(batch)d dim: 3 dim: 12 dim: 12 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" %(conv1)s
        convolution_param { num_output: 16 kernel_size: 3 pad: 1 } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
        pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2" %(conv2)s
        convolution_param { num_output: 32 kernel_size: 3 group: 2 } }
layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
layer { name: "fc" type: "InnerProduct" bottom: "conv2" top: "fc" %(fc)s
        inner_product_param { num_output: 10 } }
%(precision)s
"""
WEIGHTED = ["conv1", "conv2", "fc"]


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def require(precision):
    flags = cpu_flags()
    need = {"bf16": {"avx512_bf16", "amx_bf16"},
            "int8": {"avx512_vnni", "avx_vnni", "amx_int8"}}[precision]
    if not flags & need:
        pytest.skip("this CPU has none of %s: crema runs %s layers in fp32 here"
                    % (", ".join(sorted(need)), precision))


def bf16(x):
    """float32 rounded to bfloat16, to nearest even, kept as float32."""
    bits = np.ascontiguousarray(x, np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32)


def quantized(x, scale, lo, hi):
    return np.clip(np.rint(np.float32(x) * scale), lo, hi) / scale


def conv(x, w, b, pad, group):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(x, w.shape[2:], axis=(2, 3))  # n c h w i j
    cin, cout = w.shape[1], w.shape[0] // group
    out = [np.einsum("nchwij,ocij->nohw", windows[:, g * cin:(g + 1) * cin],
                     w[g * cout:(g + 1) * cout], optimize=True) for g in range(group)]
    return np.concatenate(out, axis=1) + b.reshape(1, -1, 1, 1)


class Rounding:
    """How a layer's operands are rounded: fp32 (not at all), bf16, int8."""

    def __init__(self, kind, calibration=None):
        self.kind, self.calibration = kind, calibration

    def operands(self, name, x, w):
        if self.kind == "fp32":
            return x, w
        if self.kind == "bf16":
            return bf16(x), bf16(w)
        c = self.calibration[name]
        steps = 127 if c["signed"] else 255
        x = quantized(x, np.float32(steps / c["max"]), -128 if c["signed"] else 0, steps)
        flat = w.reshape(w.shape[0], -1)
        scale = (np.float32(127) / np.abs(flat).max(axis=1)).astype(np.float32)
        w = (np.clip(np.rint(flat * scale[:, None]), -127, 127) / scale[:, None]).reshape(w.shape)
        return x, w

    def bias(self, name, b):
        if self.kind != "int8":
            return b
        return b - self.calibration[name]["correction"]


def reference(params, data, rounding, record=None):
    """The net in float64 on rounded operands; `record` gets each layer's input."""
    def layer(name, x, compute):
        if record is not None:
            record[name] = x
        w, b = params[name]
        xq, wq = rounding.operands(name, x, w)
        return compute(np.float64(xq), np.float64(wq), rounding.bias(name, b))

    x = layer("conv1", data, lambda x, w, b: conv(x, w, b, 1, 1))
    x = np.maximum(x, 0).astype(np.float32)
    n, c, h, wd = x.shape
    x = x.reshape(n, c, h // 2, 2, wd // 2, 2).max(axis=(3, 5))
    x = np.maximum(layer("conv2", x, lambda x, w, b: conv(x, w, b, 0, 2)), 0).astype(np.float32)
    x = x.reshape(n, -1)
    return layer("fc", x, lambda x, w, b: x @ w.T + b)


def calibration_text(c):
    text = "calibration { input_max: %r input_signed: %s" % (
        float(c["max"]), "true" if c["signed"] else "false")
    text += "".join(" bias_correction: %r" % float(v) for v in c["correction"])
    return text + " }"


def net_file(tmp_path, batch, precision=None, calibration=None):
    fields = {"batch": batch, "precision": "precision: %s" % precision.upper() if precision else ""}
    for name in WEIGHTED:
        fields[name] = calibration_text(calibration[name]) if calibration else ""
    return write(tmp_path / ("%s.prototxt" % (precision or "net")), NET % fields)


def with_params(net, params):
    for name, (w, b) in params.items():
        net.params[name][0].data[...] = w
        net.params[name][1].data[...] = b
    return net


def run_crema(tmp_path, batch, params, data, precision, calibration=None):
    net = crema.Net(net_file(tmp_path, batch, precision, calibration), crema.TEST)
    return np.float64(with_params(net, params).forward(data=data)["fc"])


def relative(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def make_inputs(batch, seed=7):
    rng = np.random.RandomState(seed)
    shapes = {"conv1": (16, 3, 3, 3), "conv2": (32, 8, 3, 3), "fc": (10, 512)}
    params = {}
    for name, shape in shapes.items():
        fan_in = int(np.prod(shape[1:]))
        params[name] = (rng.normal(0, np.sqrt(2.0 / fan_in), shape).astype(np.float32),
                        rng.normal(0, 0.1, shape[0]).astype(np.float32))
    data = rng.uniform(-1, 1, (batch, 3, 12, 12)).astype(np.float32)
    return params, data, rng


@pytest.mark.parametrize("batch", [4, 8])
def test_bf16_is_round_to_nearest_even_of_inputs_and_weights(tmp_path, batch):
    require("bf16")
    params, data, _ = make_inputs(batch)
    fp32 = reference(params, data, Rounding("fp32"))
    ideal = reference(params, data, Rounding("bf16"))
    got = run_crema(tmp_path, batch, params, data, "bf16")
    rounding_error = relative(ideal, fp32)
    assert rounding_error > 1e-4, "bf16 rounding should move the logits"
    assert relative(got, ideal) < 1e-3, (
        "crema bf16 differs from the documented rounding by %g (the rounding itself: %g)"
        % (relative(got, ideal), rounding_error))


@pytest.mark.parametrize("batch", [4, 8])
def test_int8_is_the_calibrated_rounding_minus_the_bias_correction(tmp_path, batch):
    require("int8")
    params, data, rng = make_inputs(batch)
    inputs = {}
    fp32 = reference(params, data, Rounding("fp32"), record=inputs)
    calibration = {}
    for name, x in inputs.items():
        calibration[name] = {
            "max": float(np.abs(x).max()) * 0.9,  # a little clipping, as mse picks
            "signed": bool((x < 0).any()),
            "correction": rng.normal(0, 0.05, params[name][0].shape[0]).astype(np.float32),
        }
    assert calibration["conv1"]["signed"] and not calibration["conv2"]["signed"]
    ideal = reference(params, data, Rounding("int8", calibration))
    got = run_crema(tmp_path, batch, params, data, "int8", calibration)
    rounding_error = relative(ideal, fp32)
    assert rounding_error > 1e-3, "int8 rounding should move the logits"
    assert relative(got, ideal) < 1e-3, (
        "crema int8 differs from the documented rounding by %g (the rounding itself: %g)"
        % (relative(got, ideal), rounding_error))


def test_calibrate_from_python_and_run_int8_from_the_file(tmp_path):
    """Net.calibrate measures what tools/calibrate does; precision= and
    calibration= give the int8 net that reads the file."""
    require("int8")
    from google.protobuf import text_format
    from crema.proto import crema_pb2

    params, _, rng = make_inputs(8)
    batches = [rng.uniform(-1, 1, (8, 3, 12, 12)).astype(np.float32) for _ in range(2)]
    fp32_path = net_file(tmp_path, 8)
    net = with_params(crema.Net(fp32_path, crema.TEST), params)
    fed = []

    def feed(i):
        fed.append(i)
        net.blobs["data"].data[...] = batches[i]

    text = net.calibrate(feed, iterations=2, method="maxabs")
    assert fed == [0, 1, 0, 1]  # a round for the ranges, one for the bias corrections
    parsed = text_format.Parse(text, crema_pb2.CalibrationParameter())
    assert parsed.method == "maxabs" and parsed.images == 16
    seen = [{}, {}]
    for i, x in enumerate(batches):
        reference(params, x, Rounding("fp32"), record=seen[i])
    calibration = {}
    for layer in parsed.layer:
        inputs = np.concatenate([seen[0][layer.name], seen[1][layer.name]])
        assert layer.input_max == pytest.approx(np.abs(inputs).max(), rel=1e-5), layer.name
        assert layer.input_signed == bool((inputs < 0).any()), layer.name
        outputs = params[layer.name][0].shape[0]
        assert len(layer.weight_scale) == len(layer.bias_correction) == outputs, layer.name
        calibration[layer.name] = {"max": layer.input_max, "signed": layer.input_signed,
                                   "correction": np.float32(layer.bias_correction)}
    assert sorted(calibration) == sorted(WEIGHTED)

    path = write(tmp_path / "net.calibration.prototxt", text)
    int8 = with_params(crema.Net(fp32_path, crema.TEST, precision="int8", calibration=path),
                       params)
    data = rng.uniform(-1, 1, (8, 3, 12, 12)).astype(np.float32)
    got = np.float64(int8.forward(data=data)["fc"])
    ideal = reference(params, data, Rounding("int8", calibration))
    assert relative(got, ideal) < 1e-3
    assert relative(got, reference(params, data, Rounding("fp32"))) > 1e-3


def test_precision_errors_name_what_to_fix(tmp_path):
    path = net_file(tmp_path, 4)
    with pytest.raises(crema.CremaError, match="calibration"):
        crema.Net(path, crema.TEST, precision="int8")
    with pytest.raises(crema.CremaError, match="precision"):
        crema.Net(path, crema.TEST, precision="fp16")
    with pytest.raises(crema.CremaError, match="Unknown calibration method 'kl'"):
        crema.Net(path, crema.TEST).calibrate(method="kl")
