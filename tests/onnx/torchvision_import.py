#!/usr/bin/env python3
"""torchvision classifiers exported by PyTorch import into crema and give
PyTorch's outputs (random weights, generated input, 1e-4 relative).

Usage: torchvision_import.py BUILD_DIR [MODEL...]
Exits 77 (skipped) when torch, torchvision or numpy is missing.
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torchvision
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"SKIP: {e}; install python3-torch and python3-torchvision to run this test")
    sys.exit(77)

# name -> (constructor, input size). AlexNet and VGG16 end in adaptive average
# pooling to 6x6 / 7x7, which PyTorch exports only when the feature map
# divides evenly; the others take small inputs.
MODELS = {
    "alexnet": (lambda: torchvision.models.alexnet(), 224),
    "vgg16": (lambda: torchvision.models.vgg16(), 224),
    "resnet50": (lambda: torchvision.models.resnet50(), 64),
    "squeezenet": (lambda: torchvision.models.squeezenet1_0(), 64),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(), 64),
}
LARGE = {"vgg16"}


def randomize_batch_norm(model, gen):
    # Fresh BatchNorm statistics are 0 / 1: give them values that matter.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=gen) * 0.1)


def check(name, build, tmp):
    ctor, size = MODELS[name]
    gen = torch.Generator().manual_seed(1701)
    torch.manual_seed(1701)
    model = ctor().eval()
    with torch.no_grad():
        randomize_batch_norm(model, gen)
        x = torch.rand(1, 3, size, size, generator=gen) * 2 - 1
        expected = model(x).numpy()
    onnx_path = os.path.join(tmp, name + ".onnx")
    torch.onnx.export(model, x, onnx_path, input_names=["data"], output_names=["logits"],
                      opset_version=13)
    prototxt = os.path.join(tmp, name + ".prototxt")
    weights = os.path.join(tmp, name + ".caffemodel")
    subprocess.run([os.path.join(build, "tools", "import_onnx"), onnx_path,
                    "--out=" + prototxt, "--weights=" + weights], check=True)
    input_file = os.path.join(tmp, name + "_input.f32")
    x.numpy().astype("<f4").tofile(input_file)
    output_file = os.path.join(tmp, name + "_output.f32")
    subprocess.run([os.path.join(build, "tests", "onnx", "crema_forward"), prototxt, weights,
                    input_file, output_file], check=True)
    got = np.fromfile(output_file, dtype="<f4").reshape(expected.shape)
    error = np.abs(got - expected).max() / max(np.abs(expected).max(), 1e-30)
    print(f"{name}: {x.shape[2]}x{x.shape[3]} input, relative error {error:.3g}")
    return error <= 1e-4


def main():
    build = sys.argv[1]
    os.environ.setdefault("GLOG_minloglevel", "1")  # crema's net-building log
    names = sys.argv[2:] or list(MODELS)
    # VGG16 at 224 x 224 takes minutes here: it runs when CREMA_ONNX_LARGE is set.
    if not os.environ.get("CREMA_ONNX_LARGE"):
        skipped = [n for n in names if n in LARGE]
        names = [n for n in names if n not in LARGE]
        if skipped:
            print("skipping " + ", ".join(skipped) + ": set CREMA_ONNX_LARGE=1 to run")
        if not names:
            return 77
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            if not check(name, build, tmp):
                failed.append(name)
    if failed:
        print("FAILED: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
