// DummyData: tops of given shapes (dummy_data_param.shape, or the legacy
// num/channels/height/width) filled by data_filler: none (zeros, filled
// once), one for every top, or one per top. Constant fillers fill once;
// others refill on every Forward.
#ifndef CREMA_LAYERS_DUMMY_DATA_LAYER_HPP_
#define CREMA_LAYERS_DUMMY_DATA_LAYER_HPP_

#include <memory>
#include <vector>

#include "crema/filler.hpp"
#include "crema/layer.hpp"

namespace crema {

class DummyDataLayer : public Layer {
 public:
  explicit DummyDataLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override {}
  const char* type() const override { return "DummyData"; }
  int ExactNumBottomBlobs() const override { return 0; }
  int MinTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {}

 private:
  std::vector<std::unique_ptr<Filler>> fillers_;
  std::vector<bool> refill_;
};

}  // namespace crema

#endif  // CREMA_LAYERS_DUMMY_DATA_LAYER_HPP_
