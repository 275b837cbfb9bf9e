"""The benchmark nets in PyTorch, for `make bench` (bench/run.sh).

Each model mirrors models/<name>/deploy.prototxt layer for layer: Caffe's
AlexNet (LRN, grouped conv2/4/5, ceil-mode pooling) and VGG16, and LeNet.
Parameter counts are checked against the numbers crema prints for the
prototxt nets.

Usage: python3 torch_models.py NAME BATCH MODE ITERATIONS THREADS [PARAMS]
  MODE: train (forward + backward) or infer (batch-1 style inference; the
  best of eager, channels-last and a frozen TorchScript trace is reported).
Prints "Median iteration: X ms" and "Parameters: N".
"""
import statistics
import sys
import time

import torch
import torch.nn as nn


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.MaxPool2d(2, 2, ceil_mode=True),
        nn.Conv2d(20, 50, 5), nn.MaxPool2d(2, 2, ceil_mode=True),
        nn.Flatten(), nn.Linear(800, 500), nn.ReLU(inplace=True),
        nn.Linear(500, 10), nn.Softmax(dim=1)), (1, 28, 28)


def alexnet():
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True),
        nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0),
        nn.MaxPool2d(3, 2, ceil_mode=True),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True),
        nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0),
        nn.MaxPool2d(3, 2, ceil_mode=True),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2, ceil_mode=True),
        nn.Flatten(), nn.Linear(9216, 4096), nn.ReLU(inplace=True),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Dropout(0.5), nn.Linear(4096, 1000), nn.Softmax(dim=1)), (3, 227, 227)


def vgg16():
    layers, channels = [], 3
    for width, convs in [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]:
        for _ in range(convs):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=True)]
            channels = width
        layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
    layers += [nn.Flatten(), nn.Linear(25088, 4096), nn.ReLU(inplace=True),
               nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
               nn.Dropout(0.5), nn.Linear(4096, 1000), nn.Softmax(dim=1)]
    return nn.Sequential(*layers), (3, 224, 224)


MODELS = {"lenet": lenet, "alexnet": alexnet, "vgg16": vgg16}


def median_ms(step, iterations):
    step()  # warm-up
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    name, batch, mode, iterations, threads = sys.argv[1:6]
    batch, iterations, threads = int(batch), int(iterations), int(threads)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, shape = MODELS[name]()
    params = sum(p.numel() for p in model.parameters())
    if len(sys.argv) > 6 and int(sys.argv[6]) != params:
        print(f"error: {name} has {params} parameters in PyTorch but "
              f"{sys.argv[6]} in the prototxt", file=sys.stderr)
        sys.exit(1)
    x = torch.randn(batch, *shape)
    if mode == "train":
        model.train()

        def step():
            model.zero_grad(set_to_none=False)
            out = model(x)
            out.backward(torch.ones_like(out))
        best = median_ms(step, iterations)
    else:
        model.eval()
        results = {}
        with torch.no_grad():
            results["eager"] = median_ms(lambda: model(x), iterations)
            cl_model = model.to(memory_format=torch.channels_last)
            cl_x = x.to(memory_format=torch.channels_last)
            results["channels_last"] = median_ms(lambda: cl_model(cl_x), iterations)
            try:
                traced = torch.jit.freeze(torch.jit.trace(model, x))
                results["jit_freeze"] = median_ms(lambda: traced(x), iterations)
            except Exception as e:  # noqa: BLE001 - report, keep the others
                print(f"jit variant failed: {e}", file=sys.stderr)
        variant = min(results, key=results.get)
        best = results[variant]
        print("Variants: " + ", ".join(f"{k} {v:.1f} ms" for k, v in results.items()))
        print(f"Best variant: {variant}")
    print(f"Parameters: {params}")
    print(f"Median iteration: {best:.3f} ms")


if __name__ == "__main__":
    main()
