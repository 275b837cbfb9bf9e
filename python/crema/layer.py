"""The base class of Python layers (``type: "Python"`` in a prototxt)."""


class Layer:
    """Derive a Python layer from this class and name it in the prototxt::

        layer {
          name: "loss" type: "Python" bottom: "pred" bottom: "label" top: "loss"
          python_param { module: "my_layers" layer: "EuclideanLoss" param_str: "..." }
          loss_weight: 1
        }

    crema builds the object with the layer's LayerParameter (a crema_pb2
    message), then sets ``self.param_str``, ``self.phase`` (crema.TRAIN or
    crema.TEST) and ``self.blobs`` (the layer's parameter blobs; grow it with
    ``self.blobs.add_blob(*shape)``). ``bottom`` and ``top`` are lists of
    crema.Blob whose ``data`` and ``diff`` are numpy views of the net's memory.
    """

    def __init__(self, param=None):
        self.layer_param = param

    def setup(self, bottom, top):
        """Called once, when the net is built: check the inputs, read param_str."""

    def reshape(self, bottom, top):
        """Called before every forward: shape the tops from the bottoms."""

    def forward(self, bottom, top):
        raise NotImplementedError("%s has no forward()" % type(self).__name__)

    def backward(self, top, propagate_down, bottom):
        """Fill bottom[i].diff where propagate_down[i]; the default does nothing."""
