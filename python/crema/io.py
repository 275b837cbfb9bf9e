"""Images, preprocessing and protobuf <-> numpy conversion (pycaffe's caffe.io).

Images are read and resized by crema's OpenCV, so nothing beyond numpy is
needed: load_image gives H x W x K float32 in [0, 1] (RGB or gray), as
pycaffe's does.
"""
import numpy as np

from . import _crema

try:
    from .proto import crema_pb2
except ImportError:  # the package was built without the generated protos
    crema_pb2 = None


def _pb2():
    if crema_pb2 is None:
        raise ImportError("crema.proto.crema_pb2 is missing: build crema with "
                          "protobuf's Python package (python3-protobuf) installed.")
    return crema_pb2


# ---- protobuf messages and arrays ----

def blobproto_to_array(blob, return_diff=False):
    """A BlobProto's data (or diff) as an array of its shape (either form)."""
    values = np.array(blob.diff if return_diff else blob.data)
    if any(blob.HasField(f) for f in ('num', 'channels', 'height', 'width')):
        return values.reshape(blob.num, blob.channels, blob.height, blob.width)
    return values.reshape(tuple(blob.shape.dim))


def array_to_blobproto(arr, diff=None):
    """A BlobProto with arr's shape and values (and diff's, when given)."""
    blob = _pb2().BlobProto()
    arr = np.asarray(arr)
    blob.shape.dim.extend(arr.shape)
    blob.data.extend(arr.astype(float).ravel())
    if diff is not None:
        blob.diff.extend(np.asarray(diff).astype(float).ravel())
    return blob


def arraylist_to_blobprotovector_str(arraylist):
    vector = _pb2().BlobProtoVector()
    vector.blobs.extend(array_to_blobproto(a) for a in arraylist)
    return vector.SerializeToString()


def blobprotovector_str_to_arraylist(text):
    vector = _pb2().BlobProtoVector()
    vector.ParseFromString(text)
    return [blobproto_to_array(b) for b in vector.blobs]


def array_to_datum(arr, label=None):
    """A Datum from a C x H x W array: bytes for uint8, float_data otherwise."""
    arr = np.asarray(arr)
    if arr.ndim != 3:
        raise ValueError("array_to_datum needs a C x H x W array, not shape %s." % (arr.shape,))
    datum = _pb2().Datum()
    datum.channels, datum.height, datum.width = arr.shape
    if arr.dtype == np.uint8:
        datum.data = arr.tobytes()
    else:
        datum.float_data.extend(arr.astype(float).ravel())
    if label is not None:
        datum.label = label
    return datum


def datum_to_array(datum):
    """A Datum's values as a C x H x W array (uint8 or float); see datum.label."""
    shape = (datum.channels, datum.height, datum.width)
    if len(datum.data):
        return np.frombuffer(datum.data, dtype=np.uint8).reshape(shape).copy()
    return np.array(datum.float_data).astype(float).reshape(shape)


# ---- images ----

def load_image(filename, color=True):
    """Reads an image as H x W x 3 RGB (color) or H x W x 1 float32 in [0, 1]."""
    return _crema._load_image(str(filename), bool(color))


def resize_image(im, new_dims, interp_order=1):
    """Resizes an H x W x K array to new_dims (height, width); interp_order 0
    (nearest), 1 (linear, the default) or 3 (cubic). Returns float32."""
    im = np.asarray(im, dtype=np.float32)
    height, width = int(new_dims[0]), int(new_dims[1])
    if im.ndim == 2:
        return _crema._resize(im[:, :, np.newaxis], height, width, interp_order)[:, :, 0]
    return _crema._resize(im, height, width, interp_order)


def oversample(images, crop_dims):
    """The 4 corner and the center crops of each image and their mirror
    images: a 10N x H x W x K float32 array."""
    crop_h, crop_w = int(crop_dims[0]), int(crop_dims[1])
    height, width = images[0].shape[:2]
    center_y = int(height / 2.0 - crop_h / 2.0)
    center_x = int(width / 2.0 - crop_w / 2.0)
    corners = [(0, 0), (0, width - crop_w), (height - crop_h, 0),
               (height - crop_h, width - crop_w), (center_y, center_x)]
    crops = np.empty((10 * len(images), crop_h, crop_w, images[0].shape[-1]), np.float32)
    i = 0
    for im in images:
        for y, x in corners:
            crops[i] = im[y:y + crop_h, x:x + crop_w, :]
            i += 1
        crops[i:i + 5] = crops[i - 5:i, :, ::-1, :]  # mirrored left-right
        i += 5
    return crops


# ---- preprocessing ----

class Transformer:
    """Turns images into a net's input and back.

    preprocess(name, image) takes an H' x W' x K image and returns K x H x W:
    resize to the input's size, transpose, reorder channels, multiply by the
    raw scale, subtract the mean, multiply by the input scale (each step only
    when set). deprocess undoes them in reverse order.
    """

    def __init__(self, inputs):
        # inputs: {blob name: shape}, e.g. {'data': net.blobs['data'].data.shape}
        self.inputs = {name: tuple(shape) for name, shape in inputs.items()}
        self.transpose = {}
        self.channel_swap = {}
        self.raw_scale = {}
        self.mean = {}
        self.input_scale = {}

    def _check(self, name):
        if name not in self.inputs:
            raise ValueError("%r is not one of the net inputs: %s" % (name, sorted(self.inputs)))

    def preprocess(self, in_, data):
        self._check(in_)
        out = np.asarray(data).astype(np.float32, copy=False)
        size = self.inputs[in_][2:]
        if out.shape[:2] != size:
            out = resize_image(out, size)
        if in_ in self.transpose:
            out = out.transpose(self.transpose[in_])
        if in_ in self.channel_swap:
            out = out[list(self.channel_swap[in_]), :, :]
        out = np.array(out, dtype=np.float32)  # own memory from here on
        if in_ in self.raw_scale:
            out *= self.raw_scale[in_]
        if in_ in self.mean:
            out -= self.mean[in_]
        if in_ in self.input_scale:
            out *= self.input_scale[in_]
        return out

    def deprocess(self, in_, data):
        self._check(in_)
        out = np.array(data, dtype=np.float32).squeeze()
        if in_ in self.input_scale:
            out /= self.input_scale[in_]
        if in_ in self.mean:
            out += self.mean[in_]
        if in_ in self.raw_scale:
            out /= self.raw_scale[in_]
        if in_ in self.channel_swap:
            out = out[np.argsort(self.channel_swap[in_]), :, :]
        if in_ in self.transpose:
            out = out.transpose(np.argsort(self.transpose[in_]))
        return out

    def set_transpose(self, in_, order):
        """The axis order that turns an image into the input, e.g. (2, 0, 1)
        for H x W x K -> K x H x W."""
        self._check(in_)
        if len(order) != len(self.inputs[in_]) - 1:
            raise ValueError("The transpose order needs one entry per axis of an input "
                             "item (%d)." % (len(self.inputs[in_]) - 1))
        self.transpose[in_] = tuple(order)

    def set_channel_swap(self, in_, order):
        """The channel order after transposing, e.g. (2, 1, 0) for RGB -> BGR."""
        self._check(in_)
        if len(order) != self.inputs[in_][1]:
            raise ValueError("The channel swap needs one entry per input channel (%d)."
                             % self.inputs[in_][1])
        self.channel_swap[in_] = tuple(order)

    def set_raw_scale(self, in_, scale):
        """Multiplies the image first (255 for models trained on [0, 255])."""
        self._check(in_)
        self.raw_scale[in_] = scale

    def set_mean(self, in_, mean):
        """The mean to subtract: one value per channel, or a K x H x W image
        (resized to the input when its size differs)."""
        self._check(in_)
        mean = np.asarray(mean, dtype=np.float32)
        channels, size = self.inputs[in_][1], self.inputs[in_][2:]
        if mean.ndim == 1:
            if mean.shape[0] != channels:
                raise ValueError("The mean has %d channels; the input has %d."
                                 % (mean.shape[0], channels))
            mean = mean[:, np.newaxis, np.newaxis]
        else:
            if mean.ndim == 2:
                mean = mean[np.newaxis]
            if mean.ndim != 3 or mean.shape[0] != channels:
                raise ValueError("The mean must be K, H x W or K x H x W with K = %d, not %s."
                                 % (channels, mean.shape))
            if mean.shape[1:] != size:
                mean = resize_image(mean.transpose(1, 2, 0), size).reshape(
                    size + (channels,)).transpose(2, 0, 1)
        self.mean[in_] = mean

    def set_input_scale(self, in_, scale):
        """Multiplies the input last, after the mean is subtracted."""
        self._check(in_)
        self.input_scale[in_] = scale


def image_transformer(shape, name, mean=None, input_scale=None, raw_scale=None,
                      channel_swap=None):
    """A Transformer for input `name` of `shape` that takes H x W x K images
    (as load_image returns them) to the net's K x H x W, with the optional
    mean, scales and channel order that Classifier and Detector accept."""
    transformer = Transformer({name: shape})
    transformer.set_transpose(name, (2, 0, 1))
    if mean is not None:
        transformer.set_mean(name, mean)
    if input_scale is not None:
        transformer.set_input_scale(name, input_scale)
    if raw_scale is not None:
        transformer.set_raw_scale(name, raw_scale)
    if channel_swap is not None:
        transformer.set_channel_swap(name, channel_swap)
    return transformer
