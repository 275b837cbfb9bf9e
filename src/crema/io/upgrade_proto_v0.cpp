// Caffe's first net format (V0, 'layers { layer { type: "conv" ... } }',
// before February 2014) upgraded to V1; see upgrade_proto.hpp.
#include <google/protobuf/repeated_field.h>

#include <map>

#include "crema/common.hpp"
#include "crema/io/upgrade_proto.hpp"

namespace crema {
namespace {

using google::protobuf::RepeatedPtrField;

// V0 layer type strings and the V1 types they became.
V1LayerParameter::LayerType V0TypeToV1(const std::string& source, const std::string& layer,
                                       const std::string& type) {
  static const std::map<std::string, V1LayerParameter::LayerType> kTypes = {
      {"accuracy", V1LayerParameter::ACCURACY},
      {"bnll", V1LayerParameter::BNLL},
      {"concat", V1LayerParameter::CONCAT},
      {"conv", V1LayerParameter::CONVOLUTION},
      {"data", V1LayerParameter::DATA},
      {"dropout", V1LayerParameter::DROPOUT},
      {"euclidean_loss", V1LayerParameter::EUCLIDEAN_LOSS},
      {"flatten", V1LayerParameter::FLATTEN},
      {"hdf5_data", V1LayerParameter::HDF5_DATA},
      {"hdf5_output", V1LayerParameter::HDF5_OUTPUT},
      {"im2col", V1LayerParameter::IM2COL},
      {"images", V1LayerParameter::IMAGE_DATA},
      {"infogain_loss", V1LayerParameter::INFOGAIN_LOSS},
      {"innerproduct", V1LayerParameter::INNER_PRODUCT},
      {"lrn", V1LayerParameter::LRN},
      {"multinomial_logistic_loss", V1LayerParameter::MULTINOMIAL_LOGISTIC_LOSS},
      {"pool", V1LayerParameter::POOLING},
      {"relu", V1LayerParameter::RELU},
      {"sigmoid", V1LayerParameter::SIGMOID},
      {"softmax", V1LayerParameter::SOFTMAX},
      {"softmax_loss", V1LayerParameter::SOFTMAX_LOSS},
      {"split", V1LayerParameter::SPLIT},
      {"tanh", V1LayerParameter::TANH},
      {"window_data", V1LayerParameter::WINDOW_DATA},
  };
  auto it = kTypes.find(type);
  if (it == kTypes.end()) {
    std::string known;
    for (const auto& entry : kTypes) known += (known.empty() ? "" : ", ") + entry.first;
    Throw(source, ": V0 layer '", layer, "' has type \"", type,
          "\", which is not a V0 layer type (known: ", known, ").");
  }
  return it->second;
}

// Removes V0 "padding" layers, giving their pad to the convolution or
// pooling layer they feed and rewiring that layer to the padding's input.
void FoldV0PaddingLayers(const std::string& source, NetParameter* param) {
  RepeatedPtrField<V1LayerParameter> old;
  old.Swap(param->mutable_layers());
  // Which layer last wrote each blob; -1 for net inputs.
  std::map<std::string, int> producer;
  for (const std::string& input : param->input()) producer[input] = -1;
  for (int i = 0; i < old.size(); ++i) {
    V1LayerParameter& conn = *old.Mutable(i);
    const std::string type = conn.layer().type();
    const std::string& name = conn.layer().name();
    for (int j = 0; j < conn.bottom_size(); ++j) {
      auto it = producer.find(conn.bottom(j));
      if (it == producer.end()) {
        Throw(source, ": V0 layer '", name, "' reads blob '", conn.bottom(j),
              "', which no earlier layer or net input produces.");
      }
      if (it->second < 0) continue;
      const V1LayerParameter& src = old.Get(it->second);
      if (src.layer().type() != "padding") continue;
      if (type != "conv" && type != "pool") {
        Throw(source, ": V0 padding layer '", src.layer().name(), "' feeds layer '", name,
              "' of type \"", type, "\"; padding can only be folded into a conv or pool layer.");
      }
      if (conn.bottom_size() != 1 || src.bottom_size() != 1 || src.top_size() != 1) {
        Throw(source, ": V0 padding layer '", src.layer().name(), "' and the layer '", name,
              "' it feeds must each have exactly one input (and the padding one output).");
      }
      conn.mutable_layer()->set_pad(src.layer().pad());
      conn.set_bottom(j, src.bottom(0));
    }
    for (const std::string& top : conn.top()) producer[top] = i;
    // Padding layers stay in `old` so later layers can look them up; the
    // others move (with their blobs) into the net.
    if (type != "padding") param->add_layers()->Swap(&conn);
  }
}

// One V0 layer on its way to V1: the fields it has, the V1 layer they go to,
// and the warning for a field its type does not take (dropped, as Caffe
// does).
struct V0Conversion {
  const std::string& source;
  const V0LayerParameter& v0;
  const std::string& type;
  V1LayerParameter* out;

  bool Is(const char* name) const { return type == name; }
  void Drop(const char* field) const {
    LOG(WARNING) << source << ": V0 layer '" << v0.name() << "' of type \"" << type
                 << "\" has field " << field << ", which that type does not take; ignored.";
  }
};

// num_output, biasterm and the fillers: convolution and inner product.
void ConvertV0Learned(const V0Conversion& c) {
  const V0LayerParameter& v0 = c.v0;
  V1LayerParameter* out = c.out;
  const bool conv = c.Is("conv"), ip = c.Is("innerproduct");
  if (v0.has_num_output()) {
    if (conv) out->mutable_convolution_param()->set_num_output(v0.num_output());
    else if (ip) out->mutable_inner_product_param()->set_num_output(v0.num_output());
    else c.Drop("num_output");
  }
  if (v0.has_biasterm()) {
    if (conv) out->mutable_convolution_param()->set_bias_term(v0.biasterm());
    else if (ip) out->mutable_inner_product_param()->set_bias_term(v0.biasterm());
    else c.Drop("biasterm");
  }
  if (v0.has_weight_filler()) {
    if (conv) *out->mutable_convolution_param()->mutable_weight_filler() = v0.weight_filler();
    else if (ip) *out->mutable_inner_product_param()->mutable_weight_filler() = v0.weight_filler();
    else c.Drop("weight_filler");
  }
  if (v0.has_bias_filler()) {
    if (conv) *out->mutable_convolution_param()->mutable_bias_filler() = v0.bias_filler();
    else if (ip) *out->mutable_inner_product_param()->mutable_bias_filler() = v0.bias_filler();
    else c.Drop("bias_filler");
  }
}

// pad, kernelsize, group, stride and pool: convolution and pooling windows.
void ConvertV0Window(const V0Conversion& c) {
  const V0LayerParameter& v0 = c.v0;
  V1LayerParameter* out = c.out;
  const bool conv = c.Is("conv"), pool = c.Is("pool");
  if (v0.has_pad()) {
    if (conv) out->mutable_convolution_param()->add_pad(v0.pad());
    else if (pool) out->mutable_pooling_param()->set_pad(v0.pad());
    else c.Drop("pad");
  }
  if (v0.has_kernelsize()) {
    if (conv) out->mutable_convolution_param()->add_kernel_size(v0.kernelsize());
    else if (pool) out->mutable_pooling_param()->set_kernel_size(v0.kernelsize());
    else c.Drop("kernelsize");
  }
  if (v0.has_group()) {
    if (conv) out->mutable_convolution_param()->set_group(v0.group());
    else c.Drop("group");
  }
  if (v0.has_stride()) {
    if (conv) out->mutable_convolution_param()->add_stride(v0.stride());
    else if (pool) out->mutable_pooling_param()->set_stride(v0.stride());
    else c.Drop("stride");
  }
  if (v0.has_pool()) {
    // V0's and the current PoolMethod enums share their values.
    if (pool) {
      out->mutable_pooling_param()->set_pool(
          static_cast<PoolingParameter::PoolMethod>(static_cast<int>(v0.pool())));
    } else {
      c.Drop("pool");
    }
  }
}

// dropout_ratio, the LRN constants, concat_dim and hdf5_output_param.
void ConvertV0Simple(const V0Conversion& c) {
  const V0LayerParameter& v0 = c.v0;
  V1LayerParameter* out = c.out;
  if (v0.has_dropout_ratio()) {
    if (c.Is("dropout")) out->mutable_dropout_param()->set_dropout_ratio(v0.dropout_ratio());
    else c.Drop("dropout_ratio");
  }
  const bool lrn = c.Is("lrn");
  if (v0.has_local_size()) {
    if (lrn) out->mutable_lrn_param()->set_local_size(v0.local_size());
    else c.Drop("local_size");
  }
  if (v0.has_alpha()) {
    if (lrn) out->mutable_lrn_param()->set_alpha(v0.alpha());
    else c.Drop("alpha");
  }
  if (v0.has_beta()) {
    if (lrn) out->mutable_lrn_param()->set_beta(v0.beta());
    else c.Drop("beta");
  }
  if (v0.has_k()) {
    if (lrn) out->mutable_lrn_param()->set_k(v0.k());
    else c.Drop("k");
  }
  if (v0.has_concat_dim()) {
    if (c.Is("concat")) out->mutable_concat_param()->set_concat_dim(v0.concat_dim());
    else c.Drop("concat_dim");
  }
  if (v0.has_hdf5_output_param()) {
    if (c.Is("hdf5_output")) *out->mutable_hdf5_output_param() = v0.hdf5_output_param();
    else c.Drop("hdf5_output_param");
  }
}

// Where the data layers read from, how many at a time, and the
// preprocessing fields (which go to transform_param whatever the type).
void ConvertV0Input(const V0Conversion& c) {
  const V0LayerParameter& v0 = c.v0;
  V1LayerParameter* out = c.out;
  const bool data = c.Is("data"), hdf5 = c.Is("hdf5_data"), images = c.Is("images"),
             window = c.Is("window_data");
  if (v0.has_source()) {
    if (data) out->mutable_data_param()->set_source(v0.source());
    else if (hdf5) out->mutable_hdf5_data_param()->set_source(v0.source());
    else if (images) out->mutable_image_data_param()->set_source(v0.source());
    else if (window) out->mutable_window_data_param()->set_source(v0.source());
    else if (c.Is("infogain_loss")) out->mutable_infogain_loss_param()->set_source(v0.source());
    else c.Drop("source");
  }
  if (v0.has_scale()) out->mutable_transform_param()->set_scale(v0.scale());
  if (v0.has_meanfile()) out->mutable_transform_param()->set_mean_file(v0.meanfile());
  if (v0.has_cropsize()) out->mutable_transform_param()->set_crop_size(v0.cropsize());
  if (v0.has_mirror()) out->mutable_transform_param()->set_mirror(v0.mirror());
  if (v0.has_batchsize()) {
    if (data) out->mutable_data_param()->set_batch_size(v0.batchsize());
    else if (hdf5) out->mutable_hdf5_data_param()->set_batch_size(v0.batchsize());
    else if (images) out->mutable_image_data_param()->set_batch_size(v0.batchsize());
    else if (window) out->mutable_window_data_param()->set_batch_size(v0.batchsize());
    else c.Drop("batchsize");
  }
  if (v0.has_rand_skip()) {
    if (data) out->mutable_data_param()->set_rand_skip(v0.rand_skip());
    else if (images) out->mutable_image_data_param()->set_rand_skip(v0.rand_skip());
    else c.Drop("rand_skip");
  }
}

// The ImageData and WindowData options.
void ConvertV0ImageOptions(const V0Conversion& c) {
  const V0LayerParameter& v0 = c.v0;
  V1LayerParameter* out = c.out;
  const bool images = c.Is("images"), window = c.Is("window_data");
  if (v0.has_shuffle_images()) {
    if (images) out->mutable_image_data_param()->set_shuffle(v0.shuffle_images());
    else c.Drop("shuffle_images");
  }
  if (v0.has_new_height()) {
    if (images) out->mutable_image_data_param()->set_new_height(v0.new_height());
    else c.Drop("new_height");
  }
  if (v0.has_new_width()) {
    if (images) out->mutable_image_data_param()->set_new_width(v0.new_width());
    else c.Drop("new_width");
  }
  if (v0.has_det_fg_threshold()) {
    if (window) out->mutable_window_data_param()->set_fg_threshold(v0.det_fg_threshold());
    else c.Drop("det_fg_threshold");
  }
  if (v0.has_det_bg_threshold()) {
    if (window) out->mutable_window_data_param()->set_bg_threshold(v0.det_bg_threshold());
    else c.Drop("det_bg_threshold");
  }
  if (v0.has_det_fg_fraction()) {
    if (window) out->mutable_window_data_param()->set_fg_fraction(v0.det_fg_fraction());
    else c.Drop("det_fg_fraction");
  }
  if (v0.has_det_context_pad()) {
    if (window) out->mutable_window_data_param()->set_context_pad(v0.det_context_pad());
    else c.Drop("det_context_pad");
  }
  if (v0.has_det_crop_mode()) {
    if (window) out->mutable_window_data_param()->set_crop_mode(v0.det_crop_mode());
    else c.Drop("det_crop_mode");
  }
}

// Turns one V0 layer (wrapped in a V1 entry) into a V1 layer.
void ConvertV0Layer(const std::string& source, V1LayerParameter* conn, V1LayerParameter* out) {
  out->Clear();
  out->mutable_bottom()->Swap(conn->mutable_bottom());
  out->mutable_top()->Swap(conn->mutable_top());
  V0LayerParameter& v0 = *conn->mutable_layer();
  const std::string type = v0.type();
  if (v0.has_name()) out->set_name(v0.name());
  if (v0.has_type()) out->set_type(V0TypeToV1(source, v0.name(), type));
  out->mutable_blobs()->Swap(v0.mutable_blobs());
  *out->mutable_blobs_lr() = v0.blobs_lr();
  *out->mutable_weight_decay() = v0.weight_decay();

  const V0Conversion conversion{source, v0, type, out};
  ConvertV0Learned(conversion);
  ConvertV0Window(conversion);
  ConvertV0Simple(conversion);
  ConvertV0Input(conversion);
  ConvertV0ImageOptions(conversion);
}

}  // namespace

bool NetNeedsV0ToV1Upgrade(const NetParameter& param) {
  for (const auto& layer : param.layers()) {
    if (layer.has_layer()) return true;
  }
  return false;
}

void UpgradeV0Net(const std::string& source, NetParameter* param) {
  for (int i = 0; i < param->layers_size(); ++i) {
    if (!param->layers(i).has_layer()) {
      Throw(source, ": layers entry #", i, " ('", param->layers(i).name(),
            "') is a V1 layer in a net of V0 'layers { layer { ... } }' entries; "
            "a net must use one format throughout.");
    }
  }
  FoldV0PaddingLayers(source, param);
  RepeatedPtrField<V1LayerParameter> v0_layers;
  v0_layers.Swap(param->mutable_layers());
  for (auto& conn : v0_layers) ConvertV0Layer(source, &conn, param->add_layers());
}

}  // namespace crema
