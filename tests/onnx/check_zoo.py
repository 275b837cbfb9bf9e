#!/usr/bin/env python3
"""The ONNX files crema writes pass onnx.checker, and a plain numpy reading of
them (no PyTorch, no OpenCV) gives crema's outputs within 1e-4 relative.

Usage: check_zoo.py BUILD_DIR MODELS_DIR
Runs the OnnxZoo / OnnxLayers GoogleTest cases with CREMA_ONNX_DUMP_DIR set:
they leave NAME.onnx, NAME_input.f32 and NAME_output<i>.f32 (random weights,
generated input, crema's output). Exits 77 (skipped) without onnx or numpy.
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"SKIP: {e}; install python3-onnx and python3-numpy to run this test")
    sys.exit(77)

# Small enough for numpy's loops in a few seconds each.
NUMPY_CHECKED = {"lenet", "layers", "squeezenet", "mobilenet", "resnet50", "googlenet", "fcn32s"}


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def windows(x, kernel, strides, dilations=(1, 1)):
    """(N, C, OH, OW, KH, KW) view of x's windows."""
    kh, kw = (kernel[0] - 1) * dilations[0] + 1, (kernel[1] - 1) * dilations[1] + 1
    v = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return v[:, :, ::strides[0], ::strides[1], ::dilations[0], ::dilations[1]]


def pad(x, pads, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])),
                  constant_values=value)


def conv(x, w, b, a):
    g = a.get("group", 1)
    x = pad(x, a.get("pads", [0, 0, 0, 0]))
    win = windows(x, w.shape[2:], a.get("strides", [1, 1]), a.get("dilations", [1, 1]))
    n, c = x.shape[:2]
    outs = []
    for i in range(g):
        xi = win[:, i * c // g:(i + 1) * c // g]
        wi = w[i * w.shape[0] // g:(i + 1) * w.shape[0] // g]
        outs.append(np.einsum("nchwij,ocij->nohw", xi, wi, optimize=True))
    y = np.concatenate(outs, axis=1)
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def conv_transpose(x, w, b, a):
    g, s, p = a.get("group", 1), a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0])
    n, c, h, wd = x.shape
    kh, kw = w.shape[2:]
    co = w.shape[1] * g
    full = np.zeros((n, co, (h - 1) * s[0] + kh, (wd - 1) * s[1] + kw), np.float64)
    for i in range(g):
        xi = x[:, i * c // g:(i + 1) * c // g]
        wi = w[i * c // g:(i + 1) * c // g]
        cols = np.einsum("nchw,coij->nohwij", xi, wi)
        for u in range(kh):
            for v in range(kw):
                full[:, i * co // g:(i + 1) * co // g, u:u + (h - 1) * s[0] + 1:s[0],
                     v:v + (wd - 1) * s[1] + 1:s[1]] += cols[..., u, v]
    y = full[:, :, p[0]:full.shape[2] - p[2], p[1]:full.shape[3] - p[3]]
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def pool(x, a, kind):
    p, k, s = a.get("pads", [0, 0, 0, 0]), a["kernel_shape"], a.get("strides", [1, 1])
    assert not a.get("ceil_mode", 0), "crema writes explicit pads"
    if kind == "max":
        return windows(pad(x, p, -np.inf), k, s).max(axis=(4, 5))
    if kind == "lp":
        return np.sqrt((windows(pad(x, p), k, s) ** 2).sum(axis=(4, 5)))
    total = windows(pad(x, p), k, s).sum(axis=(4, 5))
    ones = np.ones_like(x[:1, :1])
    count = windows(pad(ones, p, 1.0 if a.get("count_include_pad", 0) else 0.0), k, s)
    return total / count.sum(axis=(4, 5))


def lrn(x, a):
    size, sq = a["size"], x ** 2
    half = (size - 1) // 2
    padded = np.pad(sq, ((0, 0), (half, size - 1 - half), (0, 0), (0, 0)))
    acc = sum(padded[:, i:i + x.shape[1]] for i in range(size))
    return x / (a.get("bias", 1.0) + a.get("alpha", 1e-4) / size * acc) ** a.get("beta", 0.75)


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def run_node(op, i, a):
    simple = {
        "Relu": lambda: np.maximum(i[0], 0), "Sigmoid": lambda: 1 / (1 + np.exp(-i[0])),
        "Tanh": lambda: np.tanh(i[0]), "Abs": lambda: np.abs(i[0]),
        "Softplus": lambda: np.log1p(np.exp(i[0])), "Identity": lambda: i[0],
        "Add": lambda: i[0] + i[1], "Mul": lambda: i[0] * i[1], "Pow": lambda: i[0] ** i[1],
        "Max": lambda: np.maximum.reduce(i), "Sum": lambda: sum(i),
        "Clip": lambda: np.clip(i[0], i[1], i[2]),
        "LeakyRelu": lambda: np.where(i[0] > 0, i[0], i[0] * a.get("alpha", 0.01)),
        "PRelu": lambda: np.where(i[0] > 0, i[0], i[0] * i[1]),
        "Elu": lambda: np.where(i[0] > 0, i[0], a.get("alpha", 1.0) * (np.exp(i[0]) - 1)),
        "Conv": lambda: conv(i[0], i[1], i[2] if len(i) > 2 else None, a),
        "ConvTranspose": lambda: conv_transpose(i[0], i[1], i[2] if len(i) > 2 else None, a),
        "MaxPool": lambda: pool(i[0], a, "max"), "AveragePool": lambda: pool(i[0], a, "ave"),
        "LpPool": lambda: pool(i[0], a, "lp"),
        "GlobalAveragePool": lambda: i[0].mean(axis=(2, 3), keepdims=True),
        "GlobalMaxPool": lambda: i[0].max(axis=(2, 3), keepdims=True),
        "LRN": lambda: lrn(i[0], a),
        "BatchNormalization": lambda: (i[0] - i[3].reshape(1, -1, 1, 1)) / np.sqrt(
            i[4].reshape(1, -1, 1, 1) + a.get("epsilon", 1e-5)) * i[1].reshape(1, -1, 1, 1)
            + i[2].reshape(1, -1, 1, 1),
        "Concat": lambda: np.concatenate(i, axis=a["axis"]),
        "Flatten": lambda: i[0].reshape(int(np.prod(i[0].shape[:a.get("axis", 1)])), -1),
        "Reshape": lambda: i[0].reshape([d if d != 0 else i[0].shape[k]
                                         for k, d in enumerate(i[1])]),
        "Softmax": lambda: softmax(i[0], a.get("axis", -1)),
        "Gemm": lambda: i[0] @ (i[1].T if a.get("transB", 0) else i[1]) + (
            i[2] if len(i) > 2 else 0),
        "Pad": lambda: np.pad(i[0], list(zip(i[1][:4], i[1][4:]))),
    }
    if op in simple:
        return [simple[op]()]
    if op == "Split":
        points = np.cumsum(i[1])[:-1]
        return np.split(i[0], points, axis=a.get("axis", 0))
    if op == "Slice":
        index = [slice(None)] * i[0].ndim
        for s, e, ax in zip(i[1], i[2], i[3]):
            index[ax] = slice(s, e)
        return [i[0][tuple(index)]]
    raise NotImplementedError(op)


def evaluate(model, x):
    values = {t.name: numpy_helper.to_array(t).astype(
        np.float64 if t.data_type == onnx.TensorProto.FLOAT else np.int64)
        for t in model.graph.initializer}
    values[model.graph.input[0].name] = x.astype(np.float64)
    for node in model.graph.node:
        outs = run_node(node.op_type, [values[n] for n in node.input if n], attrs(node))
        values.update(zip(node.output, outs))
    return [values[o.name] for o in model.graph.output]


def main():
    build = sys.argv[1]
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CREMA_ONNX_DUMP_DIR=tmp, GLOG_minloglevel="1")
        subprocess.run([os.path.join(build, "crema_tests"),
                        "--gtest_filter=Models/OnnxZoo.*:OnnxLayers.Export*"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        names = sorted(f[:-5] for f in os.listdir(tmp) if f.endswith(".onnx"))
        # With CREMA_ONNX_LARGE set, the large zoo nets (which the GoogleTest
        # cases then check too) are also exported with their fillers' weights
        # and checked by onnx.checker (two to three minutes).
        models = sys.argv[2]
        for net in sorted(os.listdir(models)) if os.environ.get("CREMA_ONNX_LARGE") else []:
            deploy = os.path.join(models, net, "deploy.prototxt")
            if net in names or not os.path.exists(deploy):
                continue
            subprocess.run([os.path.join(build, "tools", "export_onnx"), "--model=" + deploy,
                            "--out=" + os.path.join(tmp, net + ".onnx")], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            names.append(net)
        for name in names:
            model = onnx.load(os.path.join(tmp, name + ".onnx"))
            onnx.checker.check_model(model, full_check=True)
            line = f"{name}: onnx.checker ok"
            if name in NUMPY_CHECKED and os.path.exists(os.path.join(tmp, name + "_input.f32")):
                shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
                x = np.fromfile(os.path.join(tmp, name + "_input.f32"), "<f4").reshape(shape)
                outputs = evaluate(model, x)
                errors = []
                for k, got in enumerate(outputs):
                    want = np.fromfile(os.path.join(tmp, f"{name}_output{k}.f32"), "<f4")
                    got = got.reshape(-1)
                    errors.append(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))
                line += ", numpy relative error " + " ".join(f"{e:.3g}" for e in errors)
                if not max(errors) <= 1e-4:
                    failed.append(name)
            print(line)
    if failed:
        print("FAILED: " + ", ".join(failed))
        return 1
    return 0 if names else 1


if __name__ == "__main__":
    sys.exit(main())
