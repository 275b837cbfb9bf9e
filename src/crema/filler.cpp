#include "crema/filler.hpp"

#include <cmath>

#include "crema/math/math_functions.hpp"

namespace crema {
namespace {

class ConstantFiller : public Filler {
 public:
  using Filler::Filler;
  void Fill(Blob* blob) override {
    cpu_set(blob->count(), filler_param_.value(), blob->mutable_cpu_data());
  }
};

class UniformFiller : public Filler {
 public:
  using Filler::Filler;
  void Fill(Blob* blob) override {
    rng_uniform(blob->count(), filler_param_.min(), filler_param_.max(),
                blob->mutable_cpu_data());
  }
};

class GaussianFiller : public Filler {
 public:
  using Filler::Filler;
  void Fill(Blob* blob) override {
    float* data = blob->mutable_cpu_data();
    rng_gaussian(blob->count(), filler_param_.mean(), filler_param_.std(), data);
    const int sparse = filler_param_.sparse();
    if (sparse < 0) return;
    // Keep on average `sparse` non-zero inputs per output unit.
    if (blob->num_axes() < 1) Throw("The sparse gaussian filler needs a blob with axes.");
    const int num_outputs = blob->shape(0);
    if (sparse > num_outputs) {
      Throw("The sparse gaussian filler keeps on average sparse: ", sparse,
            " non-zero weights per output, but the blob ", blob->shape_string(),
            " has only ", num_outputs, " outputs; lower sparse.");
    }
    const float non_zero_probability = static_cast<float>(sparse) / num_outputs;
    std::vector<int> mask(blob->count());
    rng_bernoulli(blob->count(), non_zero_probability, mask.data());
    for (int i = 0; i < blob->count(); ++i) data[i] *= mask[i];
  }
};

// Each row (one output unit's weights) is non-negative and sums to one.
class PositiveUnitballFiller : public Filler {
 public:
  using Filler::Filler;
  void Fill(Blob* blob) override {
    float* data = blob->mutable_cpu_data();
    rng_uniform(blob->count(), 0, 1, data);
    const int num = blob->shape(0);
    const int dim = blob->count() / num;
    for (int i = 0; i < num; ++i) {
      float sum = 0;
      for (int j = 0; j < dim; ++j) sum += data[i * dim + j];
      for (int j = 0; j < dim; ++j) data[i * dim + j] /= sum;
    }
  }
};

// The fan used by xavier and msra: fan_in = count / shape(0),
// fan_out = count / shape(1), or their average.
float FanFor(const Blob& blob, FillerParameter::VarianceNorm norm) {
  const int fan_in = blob.count() / blob.shape(0);
  const int fan_out = blob.num_axes() > 1 ? blob.count() / blob.shape(1) : blob.count();
  switch (norm) {
    case FillerParameter::FAN_OUT: return static_cast<float>(fan_out);
    case FillerParameter::AVERAGE: return (fan_in + fan_out) / 2.f;
    default: return static_cast<float>(fan_in);
  }
}

class XavierFiller : public Filler {
 public:
  using Filler::Filler;
  void Fill(Blob* blob) override {
    const float n = FanFor(*blob, filler_param_.variance_norm());
    const float scale = std::sqrt(3.f / n);
    rng_uniform(blob->count(), -scale, scale, blob->mutable_cpu_data());
  }
};

class MSRAFiller : public Filler {
 public:
  using Filler::Filler;
  void Fill(Blob* blob) override {
    const float n = FanFor(*blob, filler_param_.variance_norm());
    const float std = std::sqrt(2.f / n);
    rng_gaussian(blob->count(), 0.f, std, blob->mutable_cpu_data());
  }
};

// Bilinear interpolation kernels for Deconvolution-based upsampling, as
// Caffe fills them: f = ceil(K / 2), c = (K - 1) / (2 f), and weight
// (1 - |x / f - c|) (1 - |y / f - c|) at kernel position (y, x).
class BilinearFiller : public Filler {
 public:
  using Filler::Filler;
  void Fill(Blob* blob) override {
    if (blob->num_axes() != 4 || blob->width() != blob->height()) {
      Throw("The bilinear filler needs a 4-D blob with square kernels; got ",
            blob->shape_string(), ".");
    }
    float* data = blob->mutable_cpu_data();
    const int width = blob->width();
    const int f = static_cast<int>(std::ceil(width / 2.));
    const float c = (width - 1) / (2.f * f);
    for (int i = 0; i < blob->count(); ++i) {
      const float x = i % width;
      const float y = (i / width) % blob->height();
      data[i] = (1 - std::fabs(x / f - c)) * (1 - std::fabs(y / f - c));
    }
  }
};

}  // namespace

std::unique_ptr<Filler> GetFiller(const FillerParameter& param) {
  const std::string& type = param.type();
  if (type == "gaussian" && !(param.std() > 0)) {
    Throw("The gaussian filler needs std > 0; got ", param.std(), ".");
  }
  if (type == "uniform" && !(param.min() <= param.max())) {
    Throw("The uniform filler needs min <= max; got min ", param.min(),
          " and max ", param.max(), ".");
  }
  // As in Caffe, only the gaussian filler knows what `sparse` means.
  if (type != "gaussian" && param.sparse() != -1) {
    Throw("The ", type, " filler does not support sparse (got sparse: ", param.sparse(),
          "); only the gaussian filler does. Remove it.");
  }
  if (type == "constant") return std::make_unique<ConstantFiller>(param);
  if (type == "uniform") return std::make_unique<UniformFiller>(param);
  if (type == "gaussian") return std::make_unique<GaussianFiller>(param);
  if (type == "positive_unitball") return std::make_unique<PositiveUnitballFiller>(param);
  if (type == "xavier") return std::make_unique<XavierFiller>(param);
  if (type == "msra") return std::make_unique<MSRAFiller>(param);
  if (type == "bilinear") return std::make_unique<BilinearFiller>(param);
  Throw("Unknown filler type '", type, "'. Known fillers: constant, uniform, "
        "gaussian, positive_unitball, xavier, msra, bilinear.");
}

}  // namespace crema
