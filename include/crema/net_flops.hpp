// What one iteration of a net costs in arithmetic, and the rewrites that let
// a net be timed as a training step (tools/time). FLOPs count the
// multiply-adds of convolutions, deconvolutions and inner products as 2
// each; other layers are memory-bound and counted as 0.
#ifndef CREMA_NET_FLOPS_HPP_
#define CREMA_NET_FLOPS_HPP_

#include <vector>

#include "crema/net.hpp"
#include "crema/proto/crema.pb.h"

namespace crema {

// The forward FLOPs of each layer of a set-up net, in layer order:
// 2 x weights x output positions x images (for a deconvolution, its input
// positions, which its weights visit once each).
std::vector<double> LayerForwardFlops(const Net& net);

// How many times the forward arithmetic of layer i runs per iteration:
// once forward and, unless forward_only or the layer needs no backward,
// once more for its parameter gradient and once more for its bottom's.
int LayerPasses(const Net& net, int i, bool forward_only);

// The FLOPs of one iteration: each layer's forward FLOPs times its passes.
double IterationFlops(const Net& net, bool forward_only);

// A net with no loss gets loss_weight 1 on its outputs (tops no later layer
// reads; Input layers excepted), so that backward runs from them to every
// parameter, as in a training step. A net with a loss is returned as is.
NetParameter OutputsAsLoss(NetParameter param);

// Sets the first dimension of every shape of the net's Input layers.
void SetInputBatch(int batch, NetParameter* param);

}  // namespace crema

#endif  // CREMA_NET_FLOPS_HPP_
