"""Classifier: a net that maps images to class probabilities (pycaffe's)."""
import numpy as np

from . import io
from ._crema import Net, TEST


class Classifier(Net):
    """Preprocesses images, runs the net and averages oversampled crops.

    Classifier(model_file, pretrained_file, image_dims=None, mean=None,
               input_scale=None, raw_scale=None, channel_swap=None)
    mean is K x H x W or one value per channel; see io.Transformer.
    """

    def __init__(self, model_file, pretrained_file, image_dims=None, mean=None,
                 input_scale=None, raw_scale=None, channel_swap=None):
        Net.__init__(self, model_file, TEST, weights=pretrained_file)
        in_ = self.inputs[0]
        self.transformer = io.image_transformer(self.blobs[in_].data.shape, in_, mean,
                                                input_scale, raw_scale, channel_swap)
        self.crop_dims = np.array(self.blobs[in_].data.shape[2:])
        self.image_dims = np.array(image_dims if image_dims is not None else self.crop_dims)

    def predict(self, inputs, oversample=True):
        """Class probabilities, N x C, for a list of H x W x K images.

        With oversample, the mean over 10 crops (corners, center, mirrors)
        of each image resized to image_dims; else its center crop.
        """
        resized = np.zeros((len(inputs), self.image_dims[0], self.image_dims[1],
                            inputs[0].shape[2]), dtype=np.float32)
        for i, image in enumerate(inputs):
            resized[i] = io.resize_image(image, self.image_dims).reshape(resized.shape[1:])
        if oversample:
            crops = io.oversample(resized, self.crop_dims)
        else:
            top_left = ((self.image_dims - self.crop_dims) / 2.0).astype(int)
            bottom_right = top_left + self.crop_dims
            crops = resized[:, top_left[0]:bottom_right[0], top_left[1]:bottom_right[1], :]
        in_ = self.inputs[0]
        batch = np.zeros(np.array(crops.shape)[[0, 3, 1, 2]], dtype=np.float32)
        for i, crop in enumerate(crops):
            batch[i] = self.transformer.preprocess(in_, crop)
        out = self.forward_all(**{in_: batch})
        predictions = out[self.outputs[0]]
        if oversample:
            predictions = predictions.reshape((len(predictions) // 10, 10, -1)).mean(1)
        return predictions
