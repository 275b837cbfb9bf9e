"""Nets written in Python (pycaffe's net_spec).

    from crema import layers as L, params as P, NetSpec
    n = NetSpec()
    n.data, n.label = L.Data(source='train_lmdb', backend=P.Data.LMDB,
                             batch_size=64, ntop=2, transform_param=dict(scale=1/256.))
    n.conv1 = L.Convolution(n.data, kernel_size=5, num_output=20,
                            weight_filler=dict(type='xavier'))
    ...
    open('net.prototxt', 'w').write(str(n.to_proto()))

Keyword arguments go into the layer's own parameter message (num_output into
convolution_param for a Convolution) when it has that field, otherwise onto
the LayerParameter itself (loss_weight, include, param, ...); names that end
in "param" always go onto the LayerParameter. Lists become repeated fields,
dicts become messages, and a single value given to a repeated field becomes a
one-item list. `ntop` sets the number of tops, `in_place=True` makes the top
the bottom. Layers are named after their first top; tops that no NetSpec
attribute names are called <Type><n>.
"""
from collections import Counter, OrderedDict

from .proto import crema_pb2


def _param_fields():
    """Layer type -> the LayerParameter field of its parameters
    (Convolution -> convolution_param), from the message type names."""
    layer = crema_pb2.LayerParameter()
    fields = {}
    for field in layer.DESCRIPTOR.fields:
        if field.name.endswith('_param') and field.message_type is not None:
            type_name = field.message_type.name
            if type_name.endswith('Parameter'):
                fields[type_name[:-len('Parameter')]] = field.name
    return fields


_PARAM_FIELDS = _param_fields()


def assign_proto(proto, name, value):
    """Sets proto.name from a Python value: lists fill repeated fields
    (dicts in them become messages), dicts fill messages, anything else is
    assigned; a lone value for a repeated field becomes a one-item list."""
    field = getattr(proto, name)
    repeated = hasattr(field, 'extend')
    if repeated and not isinstance(value, (list, tuple)):
        value = [value]
    if repeated:
        value = list(value)
        if value and isinstance(value[0], dict):
            for item in value:
                message = field.add()
                for key, sub in item.items():
                    assign_proto(message, key, sub)
        else:
            field.extend(value)
    elif isinstance(value, dict):
        for key, sub in value.items():
            assign_proto(field, key, sub)
    else:
        setattr(proto, name, value)


class Top:
    """One output blob of a layer (the n-th top of `fn`)."""

    def __init__(self, fn, n):
        self.fn = fn
        self.n = n

    def to_proto(self):
        """A NetParameter with every layer this top depends on."""
        return to_proto(self)

    def _to_proto(self, layers, names, autonames):
        return self.fn._to_proto(layers, names, autonames)


class Function:
    """A layer: its type, its input Tops and its parameters."""

    def __init__(self, type_name, inputs, params):
        for i, top in enumerate(inputs):
            if not isinstance(top, Top):
                raise TypeError("%s input %d is not a Top (it is a %s)"
                                % (type_name, i, type(top).__name__))
        self.type_name = type_name
        self.inputs = inputs
        self.params = dict(params)
        self.ntop = self.params.pop('ntop', 1)
        self.in_place = self.params.pop('in_place', False)
        self.tops = tuple(Top(self, n) for n in range(self.ntop))

    def _auto_name(self, autonames):
        autonames[self.type_name] += 1
        return self.type_name + str(autonames[self.type_name])

    def _top_name(self, top, names, autonames):
        if top not in names:
            names[top] = top.fn._auto_name(autonames)
        return names[top]

    def _layer_name(self, names, autonames):
        if self not in names:
            names[self] = (self._top_name(self.tops[0], names, autonames) if self.ntop > 0
                           else self._auto_name(autonames))
        return names[self]

    def _to_proto(self, layers, names, autonames):
        if self in layers:
            return
        bottoms = []
        for top in self.inputs:
            top._to_proto(layers, names, autonames)
            bottoms.append(layers[top.fn].top[top.n])
        layer = crema_pb2.LayerParameter()
        layer.type = self.type_name
        layer.bottom.extend(bottoms)
        if self.in_place:
            layer.top.extend(layer.bottom)
        else:
            layer.top.extend(self._top_name(top, names, autonames) for top in self.tops)
        layer.name = self._layer_name(names, autonames)
        for key, value in self.params.items():
            self._assign(layer, key, value)
        layers[self] = layer

    def _assign(self, layer, key, value):
        if not key.endswith('param'):
            field = _PARAM_FIELDS.get(self.type_name)
            if field is not None:
                try:
                    assign_proto(getattr(layer, field), key, value)
                    return
                except AttributeError:
                    pass
        assign_proto(layer, key, value)


def to_proto(*tops):
    """A NetParameter with every layer needed to compute the given tops."""
    layers = OrderedDict()
    autonames = Counter()
    for top in tops:
        top.fn._to_proto(layers, {}, autonames)
    net = crema_pb2.NetParameter()
    net.layer.extend(layers.values())
    return net


class NetSpec:
    """Assign Tops to attributes to name them; to_proto() writes every layer
    they need, in order, with those names."""

    def __init__(self):
        super().__setattr__('tops', OrderedDict())

    def __setattr__(self, name, value):
        self.tops[name] = value

    def __getattr__(self, name):
        try:
            return self.tops[name]
        except KeyError:
            raise AttributeError(name)

    def __setitem__(self, name, value):
        self.__setattr__(name, value)

    def __getitem__(self, name):
        return self.tops[name]

    def to_proto(self):
        names = {top: name for name, top in self.tops.items()}
        autonames = Counter()
        layers = OrderedDict()
        for top in self.tops.values():
            top._to_proto(layers, names, autonames)
        net = crema_pb2.NetParameter()
        net.layer.extend(layers.values())
        return net


class Layers:
    """L.<Type>(*bottoms, **params): a layer of that type; returns its Top,
    a tuple of Tops (ntop > 1) or the layer itself (ntop = 0)."""

    def __getattr__(self, type_name):
        def make(*bottoms, **params):
            fn = Function(type_name, bottoms, params)
            if fn.ntop == 0:
                return fn
            return fn.tops[0] if fn.ntop == 1 else fn.tops
        return make


class Parameters:
    """P.<Type>.<CONSTANT>: enum values of <Type>Parameter (P.Pooling.MAX)."""

    def __getattr__(self, type_name):
        message = getattr(crema_pb2, type_name + 'Parameter')

        class Constants:
            def __getattr__(self, constant):
                return getattr(message, constant)
        return Constants()


layers = Layers()
params = Parameters()
