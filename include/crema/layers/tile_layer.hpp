// Tile: repeats the bottom tile_param.tiles times along tile_param.axis
// (default 1): top shape is the bottom's with that axis multiplied.
#ifndef CREMA_LAYERS_TILE_LAYER_HPP_
#define CREMA_LAYERS_TILE_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class TileLayer : public Layer {
 public:
  explicit TileLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Tile"; }
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  int axis_ = 1;
  int tiles_ = 1;
  int outer_dim_ = 0;
  int inner_dim_ = 0;
};

}  // namespace crema

#endif  // CREMA_LAYERS_TILE_LAYER_HPP_
