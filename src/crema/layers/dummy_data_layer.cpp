#include "crema/layers/dummy_data_layer.hpp"

#include "crema/layer_registry.hpp"

namespace crema {

void DummyDataLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  const DummyDataParameter& param = layer_param_.dummy_data_param();
  const int num_top = static_cast<int>(top.size());
  const int num_fillers = param.data_filler_size();
  if (num_fillers != 0 && num_fillers != 1 && num_fillers != num_top) {
    Fail("has ", num_fillers, " data_filler entries for ", num_top,
         " tops; give 0, 1 or one per top.");
  }
  const bool legacy = param.num_size() > 0 || param.channels_size() > 0 ||
                      param.height_size() > 0 || param.width_size() > 0;
  if (legacy) {
    if (param.shape_size() > 0) {
      Fail("gives both shape and the legacy num/channels/height/width; use one form.");
    }
    const auto check = [&](int size, const char* name) {
      if (size != 1 && size != num_top) {
        Fail("has ", size, " '", name, "' values for ", num_top,
             " tops; give 1 or one per top.");
      }
    };
    check(param.num_size(), "num");
    check(param.channels_size(), "channels");
    check(param.height_size(), "height");
    check(param.width_size(), "width");
  } else if (param.shape_size() != 1 && param.shape_size() != num_top) {
    Fail("has ", param.shape_size(), " shapes for ", num_top,
         " tops; give one shape, or one per top.");
  }

  fillers_.clear();
  refill_.clear();
  if (num_fillers == 0) {
    FillerParameter zeros;
    zeros.set_type("constant");
    zeros.set_value(0);
    fillers_.push_back(GetFiller(zeros));
    refill_.push_back(false);
  } else {
    for (int i = 0; i < num_fillers; ++i) {
      fillers_.push_back(GetFiller(param.data_filler(i)));
      refill_.push_back(param.data_filler(i).type() != "constant");
    }
  }

  for (int i = 0; i < num_top; ++i) {
    if (legacy) {
      const auto at = [&](const google::protobuf::RepeatedField<uint32_t>& v) {
        return static_cast<int>(v.size() == 1 ? v.Get(0) : v.Get(i));
      };
      top[i]->Reshape(at(param.num()), at(param.channels()), at(param.height()),
                      at(param.width()));
    } else {
      top[i]->Reshape(param.shape(param.shape_size() == 1 ? 0 : i));
    }
  }
  // Tops that never change are filled once, here.
  for (int i = 0; i < num_top; ++i) {
    const int filler = fillers_.size() == 1 ? 0 : i;
    if (!refill_[filler]) fillers_[filler]->Fill(top[i]);
  }
}

void DummyDataLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                 const std::vector<Blob*>& top) {
  for (size_t i = 0; i < top.size(); ++i) {
    const size_t filler = fillers_.size() == 1 ? 0 : i;
    if (refill_[filler]) fillers_[filler]->Fill(top[i]);
  }
}

CREMA_REGISTER_LAYER("DummyData", DummyDataLayer);

}  // namespace crema
