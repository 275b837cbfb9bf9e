"""crema.io: images, Transformer, protobuf conversions; Classifier."""
import numpy as np
import pytest

import crema
from crema import io
from conftest import write


def write_ppm(path, rgb):
    height, width = rgb.shape[:2]
    with open(str(path), "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (width, height))
        f.write(rgb.astype(np.uint8).tobytes())
    return str(path)


def test_load_image_rgb_and_gray(tmp_path):
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[..., 0] = 255  # red
    path = write_ppm(tmp_path / "red.ppm", rgb)
    image = io.load_image(path)
    assert image.shape == (4, 6, 3) and image.dtype == np.float32
    np.testing.assert_allclose(image[0, 0], [1, 0, 0])
    gray = io.load_image(path, color=False)
    assert gray.shape == (4, 6, 1)
    with pytest.raises(crema.CremaError, match="missing.png"):
        io.load_image(str(tmp_path / "missing.png"))


def test_resize_and_oversample():
    image = np.random.RandomState(0).rand(10, 12, 5).astype(np.float32)
    assert io.resize_image(image, (20, 24)).shape == (20, 24, 5)
    flat = np.full((8, 8, 3), 0.25, np.float32)
    np.testing.assert_allclose(io.resize_image(flat, (5, 7)), 0.25, rtol=1e-6)
    crops = io.oversample([image, image], (4, 4))
    assert crops.shape == (20, 4, 4, 5)
    np.testing.assert_array_equal(crops[0], image[:4, :4])
    np.testing.assert_array_equal(crops[5], image[:4, :4][:, ::-1])


def test_transformer_round_trip():
    t = io.Transformer({"data": (1, 3, 8, 8)})
    t.set_transpose("data", (2, 0, 1))
    t.set_channel_swap("data", (2, 1, 0))
    t.set_raw_scale("data", 255)
    t.set_mean("data", np.array([104, 117, 123]))
    t.set_input_scale("data", 0.5)
    image = np.random.RandomState(1).rand(8, 8, 3).astype(np.float32)
    x = t.preprocess("data", image)
    assert x.shape == (3, 8, 8)
    np.testing.assert_allclose(x[0], (image[:, :, 2] * 255 - 104) * 0.5, rtol=1e-5)
    np.testing.assert_allclose(t.deprocess("data", x), image, atol=1e-5)
    with pytest.raises(ValueError):
        t.set_channel_swap("data", (1, 0))
    with pytest.raises(ValueError):
        t.preprocess("nope", image)


def test_protobuf_conversions():
    arr = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(io.blobproto_to_array(io.array_to_blobproto(arr)), arr)
    datum = io.array_to_datum(arr.astype(np.uint8), label=3)
    assert datum.label == 3
    np.testing.assert_array_equal(io.datum_to_array(datum), arr.astype(np.uint8))
    np.testing.assert_array_equal(io.datum_to_array(io.array_to_datum(arr)), arr)
    text = io.arraylist_to_blobprotovector_str([arr, arr * 2])
    back = io.blobprotovector_str_to_arraylist(text)
    np.testing.assert_array_equal(back[1], arr * 2)


NET = '''
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 dim: 6 dim: 6 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 0.1 } } }
layer { name: "prob" type: "Softmax" bottom: "ip" top: "prob" }
'''


def test_classifier(tmp_path):
    model = write(tmp_path / "net.prototxt", NET)
    net = crema.Net(model, crema.TEST)
    net.save(str(tmp_path / "w.caffemodel"))
    classifier = crema.Classifier(model, str(tmp_path / "w.caffemodel"), image_dims=(8, 8),
                                  raw_scale=255, channel_swap=(2, 1, 0))
    images = [np.random.RandomState(i).rand(10, 10, 3).astype(np.float32) for i in range(3)]
    probs = classifier.predict(images)
    assert probs.shape == (3, 4)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    assert classifier.predict(images, oversample=False).shape == (3, 4)


def test_detector(tmp_path):
    model = write(tmp_path / "net.prototxt", NET)
    crema.Net(model, crema.TEST).save(str(tmp_path / "w.caffemodel"))
    image = write_ppm(tmp_path / "im.ppm", np.random.RandomState(2).randint(0, 255, (20, 20, 3)))
    detector = crema.Detector(model, str(tmp_path / "w.caffemodel"), context_pad=1,
                              mean=np.array([0.5, 0.5, 0.5]))
    found = detector.detect_windows([(image, [(0, 0, 10, 10), (5, 5, 20, 20), (2, 3, 9, 12)])])
    assert len(found) == 3 and found[0]["prediction"].shape == (4,)
