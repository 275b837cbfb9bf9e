"""Detector: classifies windows of images (pycaffe's R-CNN-style helper)."""
import numpy as np

from . import io
from ._crema import Net, TEST


class Detector(Net):
    """Detector(model_file, pretrained_file, mean=None, input_scale=None,
                raw_scale=None, channel_swap=None, context_pad=None)

    detect_windows([(image file, [(ymin, xmin, ymax, xmax), ...]), ...]) crops
    each window (with `context_pad` pixels of context, filled with the mean
    where the window meets the border), warps it to the net's input and
    returns [{'filename', 'window', 'prediction'}, ...].
    """

    def __init__(self, model_file, pretrained_file, mean=None, input_scale=None,
                 raw_scale=None, channel_swap=None, context_pad=None):
        Net.__init__(self, model_file, TEST, weights=pretrained_file)
        in_ = self.inputs[0]
        self.transformer = io.image_transformer(self.blobs[in_].data.shape, in_, mean,
                                                input_scale, raw_scale, channel_swap)
        self.configure_crop(context_pad)

    def detect_windows(self, images_windows):
        images_windows = [(name, [np.asarray(w) for w in windows])
                          for name, windows in images_windows]
        crops = []
        for name, windows in images_windows:
            image = io.load_image(name)
            crops.extend(self.crop(image, window) for window in windows)
        in_ = self.inputs[0]
        batch = np.zeros((len(crops), crops[0].shape[2]) + self.blobs[in_].data.shape[2:],
                         dtype=np.float32)
        for i, crop in enumerate(crops):
            batch[i] = self.transformer.preprocess(in_, crop)
        predictions = self.forward_all(**{in_: batch})[self.outputs[0]]
        detections, i = [], 0
        for name, windows in images_windows:
            for window in windows:
                detections.append({'window': window, 'prediction': predictions[i],
                                   'filename': name})
                i += 1
        return detections

    def crop(self, im, window):
        """The window (ymin, xmin, ymax, xmax) of an H x W x K image, with context."""
        window = np.asarray(window, dtype=int)
        if not self.context_pad:
            return im[window[0]:window[2], window[1]:window[3]]
        size = self.blobs[self.inputs[0]].width  # square inputs
        scale = size / (1.0 * size - 2 * self.context_pad)
        half_h = (window[2] - window[0] + 1) / 2.0
        half_w = (window[3] - window[1] + 1) / 2.0
        center = np.array([window[0] + half_h, window[1] + half_w] * 2)
        box = np.round(center + scale * np.array([-half_h, -half_w, half_h, half_w]))
        scale_h = size / (box[2] - box[0] + 1)
        scale_w = size / (box[3] - box[1] + 1)
        pad_y = int(round(max(0, -box[0]) * scale_h))
        pad_x = int(round(max(0, -box[1]) * scale_w))
        height, width = im.shape[:2]
        box = np.clip(box, 0, [height, width, height, width]).astype(int)
        crop_h = min(int(round((box[2] - box[0] + 1) * scale_h)), size - pad_y)
        crop_w = min(int(round((box[3] - box[1] + 1) * scale_w)), size - pad_x)
        context = io.resize_image(im[box[0]:box[2], box[1]:box[3]], (crop_h, crop_w))
        out = np.ones(self.crop_dims, dtype=np.float32) * self.crop_mean
        out[pad_y:pad_y + crop_h, pad_x:pad_x + crop_w] = context
        return out

    def configure_crop(self, context_pad):
        """Sets the crop size (the input's, H x W x K) and the context padding."""
        in_ = self.inputs[0]
        transpose = self.transformer.transpose[in_]
        inverse = list(np.argsort(transpose))
        self.crop_dims = np.array(self.blobs[in_].data.shape[1:])[inverse]
        self.context_pad = context_pad
        if not context_pad:
            return
        mean = self.transformer.mean.get(in_)
        if mean is None:
            self.crop_mean = np.zeros(self.crop_dims, dtype=np.float32)
            return
        # The padding takes the mean in the image's own space.
        crop_mean = np.broadcast_to(mean, self.blobs[in_].data.shape[1:]).transpose(inverse)
        swap = self.transformer.channel_swap.get(in_)
        if swap is not None:
            crop_mean = crop_mean[:, :, list(np.argsort(swap))]
        raw_scale = self.transformer.raw_scale.get(in_)
        self.crop_mean = crop_mean / raw_scale if raw_scale else np.array(crop_mean)
