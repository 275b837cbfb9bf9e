"""Draws a net's graph with graphviz, as Caffe's draw.py / draw_net.py.

Layers are boxes (convolutions red, pooling orange, inner products purple,
the rest blue) and blobs are octagons; a layer that works in place writes
back into its bottom's octagon. The DOT text goes to graphviz's `dot`
program (Debian package graphviz) for SVG, PNG, PDF...
"""
import argparse
import shutil
import subprocess

from google.protobuf import text_format

from .proto import crema_pb2

LAYER_COLORS = {'Convolution': '#FF5050', 'Deconvolution': '#FF5050',
                'Pooling': '#FF9900', 'InnerProduct': '#CC33FF'}
DEFAULT_LAYER_COLOR = '#6495ED'
BLOB_COLOR = '#E0E0E0'


def _quote(text):
    return '"' + str(text).replace('\\', '\\\\').replace('"', '\\"') + '"'


def _phase_of(name):
    if name is None or name == 'ALL':
        return None
    return {'TRAIN': crema_pb2.TRAIN, 'TEST': crema_pb2.TEST}[name.upper()]


def _included(layer, phase):
    """Whether a layer is in the net for `phase` (None: every layer)."""
    if phase is None:
        return True
    if layer.include:
        return any(not rule.HasField('phase') or rule.phase == phase for rule in layer.include)
    return not any(rule.HasField('phase') and rule.phase == phase for rule in layer.exclude)


def _layer_label(layer, rankdir, display_lrm):
    sep = ' ' if rankdir in ('TB', 'BT') else '\\n'
    lines = [layer.name, '(%s)' % layer.type]
    conv = layer.convolution_param
    if layer.type in ('Convolution', 'Deconvolution'):
        lines += ['kernel size: %s' % (conv.kernel_size[0] if conv.kernel_size else 1),
                  'stride: %s' % (conv.stride[0] if conv.stride else 1),
                  'pad: %s' % (conv.pad[0] if conv.pad else 0)]
    elif layer.type == 'Pooling':
        pool = layer.pooling_param
        lines += ['pool: %s' % crema_pb2.PoolingParameter.PoolMethod.Name(pool.pool),
                  'kernel size: %d' % pool.kernel_size, 'stride: %d' % pool.stride,
                  'pad: %d' % pool.pad]
    if display_lrm and layer.param:
        lines.append('lr mult: ' + ', '.join('%g' % p.lr_mult for p in layer.param))
    return sep.join(l.replace('"', "'") for l in lines)


def _blob_size(layer, index):
    if layer.type == 'Convolution' or layer.type == 'Deconvolution':
        return layer.convolution_param.num_output
    if layer.type == 'InnerProduct':
        return layer.inner_product_param.num_output
    return None


def net_to_dot(net_param, rankdir='LR', label_edges=True, phase=None, display_lrm=False):
    """DOT text for a NetParameter (phase: crema.TRAIN, crema.TEST or None)."""
    lines = ['digraph %s {' % _quote(net_param.name or 'Net'),
             '  rankdir=%s;' % rankdir, '  node [fontname="Helvetica"];']
    blobs = set()
    for i, layer in enumerate(net_param.layer):
        if not _included(layer, phase):
            continue
        node = _quote('layer %d %s' % (i, layer.name))
        color = LAYER_COLORS.get(layer.type, DEFAULT_LAYER_COLOR)
        lines.append('  %s [label=%s shape=record style=filled fillcolor=%s];' % (
            node, _quote(_layer_label(layer, rankdir, display_lrm)), _quote(color)))
        for bottom in layer.bottom:
            blobs.add(bottom)
            lines.append('  %s -> %s;' % (_quote('blob ' + bottom), node))
        for t, top in enumerate(layer.top):
            if top in layer.bottom:
                continue  # in place: the blob is already drawn
            blobs.add(top)
            size = _blob_size(layer, t)
            label = ' [label=%s]' % _quote(size) if label_edges and size else ''
            lines.append('  %s -> %s%s;' % (node, _quote('blob ' + top), label))
    for blob in sorted(blobs):
        lines.append('  %s [label=%s shape=octagon style=filled fillcolor=%s];' % (
            _quote('blob ' + blob), _quote(blob), _quote(BLOB_COLOR)))
    lines.append('}')
    return '\n'.join(lines) + '\n'


def _net_param(net):
    if isinstance(net, crema_pb2.NetParameter):
        return net
    param = crema_pb2.NetParameter()
    with open(net) as f:
        text_format.Merge(f.read(), param)
    return param


def draw_net(caffe_net, rankdir='LR', ext='png', phase=None, display_lrm=False):
    """The graph as image bytes in format `ext` (png, svg, pdf, dot...).
    caffe_net is a NetParameter or the path of a prototxt."""
    dot = net_to_dot(_net_param(caffe_net), rankdir, True, phase, display_lrm)
    if ext == 'dot':
        return dot.encode()
    program = shutil.which('dot')
    if program is None:
        raise RuntimeError("graphviz's `dot` program is needed to draw nets "
                           "(Debian: apt-get install graphviz).")
    done = subprocess.run([program, '-T' + ext], input=dot.encode(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        raise RuntimeError('dot failed: ' + done.stderr.decode(errors='replace'))
    return done.stdout


def draw_net_to_file(caffe_net, filename, rankdir='LR', phase=None, display_lrm=False):
    """Writes the graph to filename; the extension picks the format."""
    ext = filename[filename.rfind('.') + 1:] if '.' in filename else 'png'
    with open(filename, 'wb') as f:
        f.write(draw_net(caffe_net, rankdir, ext, phase, display_lrm))


def main(argv=None):
    parser = argparse.ArgumentParser(prog='draw_net', description=
                                     "Draws a net's graph from its prototxt.")
    parser.add_argument('input_net_proto_file')
    parser.add_argument('output_image_file')
    parser.add_argument('--rankdir', default='LR', choices=['LR', 'TB', 'BT', 'RL'])
    parser.add_argument('--phase', default='ALL', choices=['TRAIN', 'TEST', 'ALL'])
    parser.add_argument('--display_lrm', action='store_true',
                        help='show each layer\'s learning rate multipliers')
    args = parser.parse_args(argv)
    try:
        draw_net_to_file(args.input_net_proto_file, args.output_image_file, args.rankdir,
                         _phase_of(args.phase), args.display_lrm)
    except (OSError, RuntimeError, text_format.ParseError) as e:
        print('draw_net: error: %s' % e)
        return 1
    print('Drew %s' % args.output_image_file)
    return 0
