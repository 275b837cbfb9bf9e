"""NetSpec writes the prototxt Caffe's NetSpec writes for the same code:
CaffeNet (examples/pycaffe/caffenet.py) and the LeNet of Caffe's tutorial
give the published parameter counts and the zoo nets' outputs."""
import os

import numpy as np
from google.protobuf import text_format

import crema
from crema import layers as L, params as P
from crema.proto import crema_pb2
from conftest import MODELS, fill_params, param_count, write


def conv_relu(bottom, ks, nout, stride=1, pad=0, group=1):
    conv = L.Convolution(bottom, kernel_size=ks, stride=stride, num_output=nout,
                         pad=pad, group=group)
    return conv, L.ReLU(conv, in_place=True)


def fc_relu(bottom, nout):
    fc = L.InnerProduct(bottom, num_output=nout)
    return fc, L.ReLU(fc, in_place=True)


def max_pool(bottom, ks, stride=1):
    return L.Pooling(bottom, pool=P.Pooling.MAX, kernel_size=ks, stride=stride)


def caffenet(lmdb, batch_size=256):
    data, label = L.Data(source=lmdb, backend=P.Data.LMDB, batch_size=batch_size, ntop=2,
                         transform_param=dict(crop_size=227, mean_value=[104, 117, 123],
                                              mirror=True))
    conv1, relu1 = conv_relu(data, 11, 96, stride=4)
    pool1 = max_pool(relu1, 3, stride=2)
    norm1 = L.LRN(pool1, local_size=5, alpha=1e-4, beta=0.75)
    conv2, relu2 = conv_relu(norm1, 5, 256, pad=2, group=2)
    pool2 = max_pool(relu2, 3, stride=2)
    norm2 = L.LRN(pool2, local_size=5, alpha=1e-4, beta=0.75)
    conv3, relu3 = conv_relu(norm2, 3, 384, pad=1)
    conv4, relu4 = conv_relu(relu3, 3, 384, pad=1, group=2)
    conv5, relu5 = conv_relu(relu4, 3, 256, pad=1, group=2)
    pool5 = max_pool(relu5, 3, stride=2)
    fc6, relu6 = fc_relu(pool5, 4096)
    drop6 = L.Dropout(relu6, in_place=True)
    fc7, relu7 = fc_relu(drop6, 4096)
    drop7 = L.Dropout(relu7, in_place=True)
    fc8 = L.InnerProduct(drop7, num_output=1000)
    return crema.to_proto(L.SoftmaxWithLoss(fc8, label))


def lenet(lmdb, batch_size):
    n = crema.NetSpec()
    n.data, n.label = L.Data(batch_size=batch_size, backend=P.Data.LMDB, source=lmdb,
                             transform_param=dict(scale=1. / 255), ntop=2)
    n.conv1 = L.Convolution(n.data, kernel_size=5, num_output=20,
                            weight_filler=dict(type='xavier'))
    n.pool1 = L.Pooling(n.conv1, kernel_size=2, stride=2, pool=P.Pooling.MAX)
    n.conv2 = L.Convolution(n.pool1, kernel_size=5, num_output=50,
                            weight_filler=dict(type='xavier'))
    n.pool2 = L.Pooling(n.conv2, kernel_size=2, stride=2, pool=P.Pooling.MAX)
    n.fc1 = L.InnerProduct(n.pool2, num_output=500, weight_filler=dict(type='xavier'))
    n.relu1 = L.ReLU(n.fc1, in_place=True)
    n.score = L.InnerProduct(n.relu1, num_output=10, weight_filler=dict(type='xavier'))
    n.loss = L.SoftmaxWithLoss(n.score, n.label)
    return n.to_proto()


def runnable(proto, shape, tmp_path, name):
    """The net with its Data layer swapped for an Input of `shape` (and a
    label), written to a file and built for TEST."""
    proto = crema_pb2.NetParameter.FromString(proto.SerializeToString())
    data = proto.layer[0]
    tops = list(data.top)
    data.Clear()
    data.name, data.type = "input", "Input"
    data.top.extend(tops)
    data.input_param.shape.add().dim.extend(shape)
    data.input_param.shape.add().dim.extend([shape[0]])
    path = write(tmp_path / (name + ".prototxt"), text_format.MessageToString(proto))
    return crema.Net(path, crema.TEST)


def same_outputs(spec_net, spec_blob, zoo_file, zoo_blob, seed):
    zoo = crema.Net(zoo_file, crema.TEST)
    shape = spec_net.blobs[spec_net.inputs[0]].shape
    zoo.blobs[zoo.inputs[0]].reshape(*shape)
    zoo.reshape()
    fill_params(zoo, seed)
    spec_params = [b for blobs in spec_net.params.values() for b in blobs]
    zoo_params = [b for blobs in zoo.params.values() for b in blobs]
    assert [b.shape for b in spec_params] == [b.shape for b in zoo_params]
    for mine, theirs in zip(spec_params, zoo_params):
        mine.data[...] = theirs.data
    image = np.random.RandomState(seed).rand(*shape)
    expected = zoo.forward(blobs=[zoo_blob], **{zoo.inputs[0]: image})[zoo_blob]
    spec_net.blobs[spec_net.inputs[0]].data[...] = image
    spec_net.forward()
    np.testing.assert_array_equal(spec_net.blobs[spec_blob].data, expected)


def test_caffenet(tmp_path):
    proto = caffenet('/path/to/train_lmdb')
    text = str(proto)
    # in-place layers are named after their type, their top is the bottom
    assert 'name: "ReLU1"\n  type: "ReLU"\n  bottom: "Convolution1"\n  top: "Convolution1"' in text
    net = runnable(proto, [1, 3, 227, 227], tmp_path, "caffenet")
    assert param_count(net) == 60965224
    same_outputs(net, "InnerProduct3", os.path.join(MODELS, "caffenet", "deploy.prototxt"),
                 "fc8", 4)


def test_lenet(tmp_path):
    proto = lenet('mnist_train_lmdb', 64)
    net = runnable(proto, [4, 1, 28, 28], tmp_path, "lenet")
    assert param_count(net) == 431080
    same_outputs(net, "score", os.path.join(MODELS, "lenet", "deploy.prototxt"), "ip2", 2)


def test_prototxt_rules():
    n = crema.NetSpec()
    n.data = L.Input(shape=dict(dim=[1, 3, 8, 8]))
    n.conv = L.Convolution(n.data, kernel_size=3, num_output=4,
                           param=[dict(lr_mult=1, decay_mult=1), dict(lr_mult=2)],
                           weight_filler=dict(type='gaussian', std=0.01),
                           include=dict(phase=crema.TEST), loss_weight=0)
    n.relu = L.ReLU(n.conv, in_place=True)
    n.a, n.b = L.Slice(n.relu, ntop=2, slice_param=dict(axis=1, slice_point=[2]))
    L.Silence(n.b, ntop=0)
    expected = crema_pb2.NetParameter()
    text_format.Merge('''
      layer { name: "data" type: "Input" top: "data"
              input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
      layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
              param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 }
              include { phase: TEST } loss_weight: 0
              convolution_param { num_output: 4 kernel_size: 3
                                  weight_filler { type: "gaussian" std: 0.01 } } }
      layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
      layer { name: "a" type: "Slice" bottom: "conv" top: "a" top: "b"
              slice_param { axis: 1 slice_point: 2 } }
    ''', expected)
    assert n.to_proto() == expected
