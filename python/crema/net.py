"""pycaffe's Net interface, written over the C++ Net's underscore methods.

Importing crema adds these to crema.Net: ``blobs``, ``params``, ``inputs``,
``outputs``, ``forward``, ``backward``, ``forward_all``, ...
"""
from collections import OrderedDict
from itertools import zip_longest

import numpy as np

from ._crema import Net


def _cached(net, key, build):
    """Per-net cache: the wrapped C++ net's names and blobs never change."""
    value = net.__dict__.get(key)
    if value is None:
        value = build()
        net.__dict__[key] = value
    return value


def _blobs(self):
    """OrderedDict of the net's blobs by name, from input to output."""
    return _cached(self, '_blob_dict',
                   lambda: OrderedDict(zip(self._blob_names, self._blobs)))


def _blob_loss_weights(self):
    return _cached(self, '_loss_weight_dict',
                   lambda: OrderedDict(zip(self._blob_names, self._blob_loss_weights)))


def _layer_dict(self):
    return _cached(self, '_layer_dict',
                   lambda: OrderedDict(zip(self._layer_names, self.layers)))


def _params(self):
    """OrderedDict of the layers that have parameters: name -> list of blobs."""
    def build():
        return OrderedDict((name, layer.blobs)
                           for name, layer in zip(self._layer_names, self.layers)
                           if len(layer.blobs) > 0)
    return _cached(self, '_param_dict', build)


def _layer_index(self):
    return _cached(self, '_layer_index',
                   lambda: {name: i for i, name in enumerate(self._layer_names)})


def _inputs(self):
    return _cached(self, '_input_names',
                   lambda: [self._blob_names[i] for i in self._inputs])


def _outputs(self):
    return _cached(self, '_output_names',
                   lambda: [self._blob_names[i] for i in self._outputs])


def _names_by_layer(ids_of):
    def names(self):
        key = '_names_' + ids_of
        def build():
            blob_names = self._blob_names
            get_ids = getattr(self, ids_of)
            return OrderedDict((name, [blob_names[b] for b in get_ids(i)])
                               for i, name in enumerate(self._layer_names))
        return _cached(self, key, build)
    return names


def _find_layer(self, name, argument):
    try:
        return _layer_index(self)[name]
    except KeyError:
        raise ValueError("%s=%r: the net has no layer of that name" % (argument, name))


def _forward(self, blobs=None, start=None, end=None, **kwargs):
    """Runs the net forward (from layer `start` to layer `end`, inclusive).

    Keyword arguments name input blobs and give their values (arrays whose
    first axis is the batch). Returns {blob name: data array} for the net's
    outputs (the tops of `end` when given) and the blobs listed in `blobs`.
    The arrays are views of the net's memory: copy them to keep them past
    the next pass.
    """
    blobs = list(blobs or [])
    start_index = 0 if start is None else _find_layer(self, start, 'start')
    if end is None:
        end_index = len(self.layers) - 1
        wanted = set(self.outputs + blobs)
    else:
        end_index = _find_layer(self, end, 'end')
        wanted = set(self.top_names[end] + blobs)
    if kwargs:
        _set_values(self, kwargs, self.inputs, 'data', 'input')
    self._forward(start_index, end_index)
    all_blobs = self.blobs
    return {name: all_blobs[name].data for name in wanted}


def _backward(self, diffs=None, start=None, end=None, **kwargs):
    """Runs the net backward (from layer `start` down to `end`, inclusive).

    Keyword arguments name output blobs and give their diffs. Returns
    {blob name: diff array} for the net's inputs (the bottoms of `end` when
    given) and the blobs listed in `diffs`.
    """
    diffs = list(diffs or [])
    start_index = len(self.layers) - 1 if start is None else _find_layer(self, start, 'start')
    if end is None:
        end_index = 0
        wanted = set(self.inputs + diffs)
    else:
        end_index = _find_layer(self, end, 'end')
        wanted = set(self.bottom_names[end] + diffs)
    if kwargs:
        _set_values(self, kwargs, self.outputs, 'diff', 'output')
    self._backward(start_index, end_index)
    all_blobs = self.blobs
    return {name: all_blobs[name].diff for name in wanted}


def _set_values(self, values, expected, field, kind):
    if set(values) != set(expected):
        raise ValueError("The %s blobs given (%s) are not the net's %ss (%s)." % (
            kind, ', '.join(sorted(values)), kind, ', '.join(expected)))
    for name, value in values.items():
        blob = self.blobs[name]
        value = np.asarray(value)
        if value.shape[:1] != blob.shape[:1]:
            raise ValueError("Blob '%s' holds a batch of %d; got %d values. Reshape the "
                             "blob (net.blobs[%r].reshape(...); net.reshape()) first."
                             % (name, blob.shape[0], len(value), name))
        getattr(blob, field)[...] = value


def _batches(self, arrays):
    """Splits {name: array} into net-sized batches; the last is zero-padded."""
    total = len(next(iter(arrays.values())))
    batch = next(iter(self.blobs.values())).shape[0]
    for begin in range(0, total, batch):
        chunk = {name: value[begin:begin + batch] for name, value in arrays.items()}
        short = batch - len(next(iter(chunk.values())))
        if short:
            chunk = {name: np.concatenate([value, np.zeros((short,) + value.shape[1:],
                                                           value.dtype)])
                     for name, value in chunk.items()}
        yield chunk


def _forward_all(self, blobs=None, **kwargs):
    """forward() over inputs of any length, a batch at a time.

    Returns {blob name: array} with one row per input row.
    """
    wanted = set(self.outputs + list(blobs or []))
    collected = {name: [] for name in wanted}
    for chunk in _batches(self, kwargs) if kwargs else [{}]:
        outputs = self.forward(blobs=blobs, **chunk)
        for name, value in outputs.items():
            collected[name].extend(value.copy())
    result = {name: np.asarray(rows) for name, rows in collected.items()}
    if kwargs:
        total = len(next(iter(kwargs.values())))
        result = {name: rows[:total] for name, rows in result.items()}
    return result


def _forward_backward_all(self, blobs=None, diffs=None, **kwargs):
    """forward() and backward() over inputs of any length, a batch at a time."""
    outs = {name: [] for name in set(self.outputs + list(blobs or []))}
    grads = {name: [] for name in set(self.inputs + list(diffs or []))}
    ins = {k: v for k, v in kwargs.items() if k in self.inputs}
    tops = {k: v for k, v in kwargs.items() if k in self.outputs}
    forward_chunks = _batches(self, ins) if ins else []
    backward_chunks = _batches(self, tops) if tops else []
    for fwd, bwd in zip_longest(forward_chunks, backward_chunks, fillvalue={}):
        for name, value in self.forward(blobs=blobs, **fwd).items():
            outs[name].extend(value.copy())
        for name, value in self.backward(diffs=diffs, **bwd).items():
            grads[name].extend(value.copy())
    total = len(next(iter(kwargs.values()))) if kwargs else None
    outs = {name: np.asarray(rows)[:total] for name, rows in outs.items()}
    grads = {name: np.asarray(rows)[:total] for name, rows in grads.items()}
    return outs, grads


Net.blobs = property(_blobs)
Net.blob_loss_weights = property(_blob_loss_weights)
Net.layer_dict = property(_layer_dict)
Net.params = property(_params)
Net.inputs = property(_inputs)
Net.outputs = property(_outputs)
Net.top_names = property(_names_by_layer('_top_ids'))
Net.bottom_names = property(_names_by_layer('_bottom_ids'))
Net.forward = _forward
Net.backward = _backward
Net.forward_all = _forward_all
Net.forward_backward_all = _forward_backward_all
Net._batch = _batches
