// LRN across channels for the DNNL engine, on the layout its input arrives
// in: plain NCHW, or the channel-blocked nChw8c / nChw16c or the nhwc a
// DNNL convolution leaves behind, so no reorder runs on either side of it. The
// output (and in backward the bottom diff) is written in that same layout.
// WITHIN_CHANNEL runs the reference.
//
// The kernel is crema's own, not a oneDNN primitive: oneDNN 2.6 has no fast
// LRN for nChw16c (its reference kernel runs there), and its nChw8c kernel
// costs a reorder on each side and a workspace. The work goes by tiles of
// 16 pixels of one image, copied into small buffers in the order the
// layout reads best (channel-major from a plain input, pixel-major from a
// blocked one) with zero channels on either side of each pixel's run, so
// every window sum is a few vector adds of shifted copies of the buffer;
// the results are copied back. On nChw16c with AVX-512 and windows of up to
// 5 channels (AlexNet's, GoogLeNet's) no tiles are needed: each pixel's
// channels are already one vector per block (Blocked16). Backward
// recomputes the scale from the input instead of keeping it from the forward
// pass, so the layer holds no workspace:
//   scale = k + alpha / size * sum over the window of x^2,  y = x * scale^-beta,
//   dx = dy * scale^-beta - 2 alpha beta / size * x * sum over the window of
//        dy * y / scale
// (the window of size channels centred on c, clipped at the edges; it is
// symmetric, so it is also the set of channels whose window holds c).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "crema/layer_registry.hpp"
#include "crema/layers/lrn_layer.hpp"
#include "dnnl_common.hpp"

namespace crema {
namespace dnnl_engine {
namespace {

constexpr int kPixels = 16;  // pixels per tile

// Where value (c, pixel p) of one C x P image lives when its channels are in
// blocks of `block` (1: plain), padded to a whole number of blocks.
struct ChannelBlocks {
  int channels = 0, pixels = 0, block = 1;
  int padded() const { return (channels + block - 1) / block * block; }
  long image() const { return static_cast<long>(padded()) * pixels; }
  long at(int c, int p) const {
    return static_cast<long>(c / block * block) * pixels +
           static_cast<long>(p) * block + c % block;
  }
  int tiles() const { return (pixels + kPixels - 1) / kPixels; }
};

// A tile's buffer: value (c, t) of its kPixels pixels at index(c, t), with
// `half` zero channels before channel 0 and after the last one. Channel-
// major for a plain image (a channel's 16 pixels are contiguous there),
// pixel-major for a blocked one (a pixel's channels are). `shift` is the
// distance between neighbouring channels.
struct TileShape {
  TileShape(int channels, int half, bool channel_major)
      : channels(channels), half(half), channel_major(channel_major),
        shift(channel_major ? kPixels : 1),
        size(static_cast<size_t>(channels + 2 * half) * kPixels) {}
  size_t index(int c, int t) const {
    return channel_major ? static_cast<size_t>(c + half) * kPixels + t
                         : static_cast<size_t>(t) * (channels + 2 * half) + half + c;
  }
  int channels, half;
  bool channel_major;
  size_t shift, size;
};

// Short runs (a channel block, a channel's 16 pixels): inline loops, not
// calls to memmove.
inline void Copy(const float* from, int n, float* to) {
#pragma omp simd
  for (int i = 0; i < n; ++i) to[i] = from[i];
}
inline void Zero(float* to, int n) {
#pragma omp simd
  for (int i = 0; i < n; ++i) to[i] = 0.f;
}

// Copies tile `tile` of `image` into `buf`; pixels past the image's last are
// zeros. The zero channels around each pixel's run are never written.
void Gather(const ChannelBlocks& l, const TileShape& s, const float* image, int tile,
            float* buf) {
  const int p0 = tile * kPixels, count = std::min(kPixels, l.pixels - p0);
  if (s.channel_major) {
    for (int c = 0; c < l.channels; ++c) {
      const float* from = image + static_cast<long>(c) * l.pixels + p0;
      float* to = buf + s.index(c, 0);
      Copy(from, count, to);
      Zero(to + count, kPixels - count);
    }
    return;
  }
  for (int t = 0; t < kPixels; ++t) {
    float* to = buf + s.index(0, t);
    if (t >= count) {
      Zero(to, l.channels);
      continue;
    }
    for (int c0 = 0; c0 < l.channels; c0 += l.block) {
      Copy(image + l.at(c0, p0 + t), std::min(l.block, l.channels - c0), to + c0);
    }
  }
}

// The reverse of Gather; a blocked layout's padding channels get zeros.
void Scatter(const ChannelBlocks& l, const TileShape& s, const float* buf, int tile,
             float* image) {
  const int p0 = tile * kPixels, count = std::min(kPixels, l.pixels - p0);
  if (s.channel_major) {
    for (int c = 0; c < l.channels; ++c) {
      Copy(buf + s.index(c, 0), count, image + static_cast<long>(c) * l.pixels + p0);
    }
    return;
  }
  for (int t = 0; t < count; ++t) {
    const float* from = buf + s.index(0, t);
    for (int c0 = 0; c0 < l.padded(); c0 += l.block) {
      float* to = image + l.at(c0, p0 + t);
      const int real = std::max(0, std::min(l.block, l.channels - c0));
      Copy(from + c0, real, to);
      Zero(to + real, l.block - real);
    }
  }
}

// Zeros the channels either side of each pixel's run (after an element-wise
// step wrote them), so that window sums over `buf` see zeros there.
void ZeroMargins(const TileShape& s, float* buf) {
  const size_t margin = static_cast<size_t>(s.half) * s.shift;
  if (s.channel_major) {
    std::fill(buf, buf + margin, 0.f);
    std::fill(buf + s.size - margin, buf + s.size, 0.f);
    return;
  }
  for (int t = 0; t < kPixels; ++t) {
    float* row = buf + s.index(0, t);
    Zero(row - s.half, s.half);
    Zero(row + s.channels, s.half);
  }
}

#if defined(__AVX512F__)
// nChw16c with a window of at most 5 channels, without the tiles: one
// pixel's channels are one vector per block of 16, so a window sum is the
// vector plus its neighbours shifted by one and two channels (valignd across
// the adjacent blocks' vectors, zeros beyond the first and last channel).
// Values of the padding channels of the last block are read as zeros and
// written as zeros.
class Blocked16 {
  // (The zero-masking forms of the intrinsics with every lane set: their
  // plain forms start from an undefined register, which GCC 12 reports as
  // maybe uninitialized.)
  static constexpr __mmask16 kAll = 0xFFFF;

 public:
  Blocked16(const ChannelBlocks& l, int half, float k, float alpha_over_size, float beta)
      : l_(l), half_(half), k_(k), a_(alpha_over_size), beta_(beta),
        blocks_(l.padded() / 16),
        last_(l.channels % 16 ? static_cast<__mmask16>((1u << (l.channels % 16)) - 1)
                              : static_cast<__mmask16>(0xFFFF)) {}

  static bool Fits(const ChannelBlocks& l, int half) { return l.block == 16 && half <= 2; }

  // Pixel p of image n: the blocks' vectors of `from` into v.
  void Load(const float* from, long n, int p, __m512* v) const {
    const float* at = from + n * l_.image() + static_cast<long>(p) * 16;
    const long stride = static_cast<long>(l_.pixels) * 16;
    for (int b = 0; b < blocks_ - 1; ++b) v[b] = _mm512_loadu_ps(at + b * stride);
    v[blocks_ - 1] = _mm512_maskz_loadu_ps(last_, at + (blocks_ - 1) * stride);
  }
  void Store(const __m512* v, long n, int p, float* to) const {
    float* at = to + n * l_.image() + static_cast<long>(p) * 16;
    const long stride = static_cast<long>(l_.pixels) * 16;
    for (int b = 0; b < blocks_; ++b) _mm512_storeu_ps(at + b * stride, v[b]);
  }

  // out[b] = the window sum of v around each channel of block b.
  void WindowSum(const __m512* v, __m512* out) const {
    const __m512i zero = _mm512_setzero_si512();
    for (int b = 0; b < blocks_; ++b) {
      const __m512i cur = _mm512_castps_si512(v[b]);
      const __m512i prev = b > 0 ? _mm512_castps_si512(v[b - 1]) : zero;
      const __m512i next = b + 1 < blocks_ ? _mm512_castps_si512(v[b + 1]) : zero;
      __m512 sum = _mm512_add_ps(v[b], _mm512_castsi512_ps(_mm512_maskz_alignr_epi32(kAll, next, cur, 1)));
      sum = _mm512_add_ps(sum, _mm512_castsi512_ps(_mm512_maskz_alignr_epi32(kAll, cur, prev, 15)));
      if (half_ == 2) {
        sum = _mm512_add_ps(sum, _mm512_castsi512_ps(_mm512_maskz_alignr_epi32(kAll, next, cur, 2)));
        sum = _mm512_add_ps(sum, _mm512_castsi512_ps(_mm512_maskz_alignr_epi32(kAll, cur, prev, 14)));
      }
      out[b] = half_ == 0 ? v[b] : sum;
    }
  }

  // scale = k + alpha / size * (window sum of x^2) and power = scale^-beta.
  void Scale(const __m512* x, __m512* sq, __m512* scale, __m512* power) const {
    for (int b = 0; b < blocks_; ++b) sq[b] = _mm512_mul_ps(x[b], x[b]);
    WindowSum(sq, scale);
    const __m512 k = _mm512_set1_ps(k_), a = _mm512_set1_ps(a_);
    for (int b = 0; b < blocks_; ++b) {
      const __m512 s = _mm512_fmadd_ps(a, scale[b], k);
      scale[b] = s;
      if (beta_ == 0.75f) {
        power[b] = _mm512_div_ps(_mm512_set1_ps(1.f),
                                 _mm512_maskz_sqrt_ps(kAll, _mm512_mul_ps(s, _mm512_maskz_sqrt_ps(kAll, s))));
      } else {
        alignas(64) float lanes[16];
        _mm512_store_ps(lanes, s);
        for (float& v : lanes) v = std::pow(v, -beta_);
        power[b] = _mm512_load_ps(lanes);
      }
    }
  }

  int blocks() const { return blocks_; }

  // A thread's vectors.
  class VectorBuffer {
   public:
    explicit VectorBuffer(int vectors)
        : data_(static_cast<__m512*>(std::aligned_alloc(64, sizeof(__m512) * vectors))) {
      if (!data_) Throw("Out of memory: LRN buffers of ", vectors, " vectors.");
    }
    ~VectorBuffer() { std::free(data_); }
    VectorBuffer(const VectorBuffer&) = delete;
    VectorBuffer& operator=(const VectorBuffer&) = delete;
    __m512* get() const { return data_; }

   private:
    __m512* data_;
  };

 private:
  ChannelBlocks l_;
  int half_;
  float k_, a_, beta_;
  int blocks_;
  __mmask16 last_;
};
#endif

class DnnlLRNLayer : public LRNLayer {
 public:
  explicit DnnlLRNLayer(const LayerParameter& param) : LRNLayer(param) {}

  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override {
    LRNLayer::Reshape(bottom, top);
    const LRNParameter& p = layer_param_.lrn_param();
    supported_ = p.norm_region() == LRNParameter::ACROSS_CHANNELS &&
                 bottom[0]->count() > 0;
    ReportFallback(!supported_, "DNNL runs ACROSS_CHANNELS on a non-empty bottom only.");
    if (!supported_ || bottom[0]->shape() == shape_) return;  // Forward reshapes each pass
    shape_ = bottom[0]->shape();
    plain_ = PlainDesc(ToDims(shape_), tag::nchw);  // LRNLayer checked: 4 axes
    layout_ = {shape_[1], shape_[2] * shape_[3], 1};
    held_ = dnnl::memory::desc();
    half_ = (static_cast<int>(p.local_size()) - 1) / 2;
    alpha_over_size_ = p.alpha() / static_cast<float>(p.local_size());
    beta_ = p.beta();
    k_ = p.k();
  }

  bool ReadsEngineLayouts() const override { return supported_; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // Runs on the layout `mem` (the bottom's data) holds when it is plain,
  // nChw8c, nChw16c or nhwc; anything else is read as plain.
  void ChooseLayout(SyncedMemory& mem);
  struct Buffers;
  // out[i] = the sum of in over the window of value i's channel.
  void WindowSum(const TileShape& s, const float* in, float* out) const;
  // The tile's scale and scale^-beta, from its x.
  void Scale(Buffers& b) const;

  bool supported_ = false;
  std::vector<int> shape_;
  dnnl::memory::desc plain_, held_;
  ChannelBlocks layout_;
  int half_ = 2;
  float alpha_over_size_ = 0.f, beta_ = 0.75f, k_ = 1.f;
  Reader src_, diff_dst_;
  Writer dst_, diff_src_;
};

void DnnlLRNLayer::ChooseLayout(SyncedMemory& mem) {
  dnnl::memory::desc held = HeldDesc(mem, plain_);
  const dims d = ToDims(shape_);
  // Channel blocks: plain 1, nChw8c 8, nChw16c 16, nhwc all the channels.
  int block = 0;
  for (const auto& [t, b] : {std::pair{tag::nchw, 1}, {tag::nChw8c, 8}, {tag::nChw16c, 16},
                             {tag::nhwc, shape_[1]}}) {
    if (held == PlainDesc(d, t)) block = b;
  }
  if (block == 0) {
    mem.ToPlain();  // another layout: read it as plain
    held = plain_;
    block = 1;
  }
  if (held_ == held) return;
  held_ = held;
  layout_.block = block;
  src_.Init(plain_, held_);
  dst_.Init(plain_, held_);
  diff_dst_.Init(plain_, held_);
  diff_src_.Init(plain_, held_);
}

// The buffers of one thread for one tile, all of one TileShape. x and dy
// (as gathered) and sq are zero in the margins.
struct DnnlLRNLayer::Buffers {
  explicit Buffers(const TileShape& shape)
      : s(shape), x(s.size), dy(s.size), y(s.size), scale(s.size), power(s.size),
        sq(s.size), ratio(s.size) {}
  TileShape s;
  std::vector<float> x, dy, y, scale, power, sq, ratio;
};

void DnnlLRNLayer::WindowSum(const TileShape& s, const float* in, float* out) const {
  // Only values inside the margins are meaningful; the loops run over
  // everything between the first and last real channel.
  // out[margin + i] = sum over j of in[i + j * shift], j = 0 .. 2 * half.
  const size_t margin = static_cast<size_t>(half_) * s.shift;
  const size_t n = s.size - 2 * margin;
  float* to = out + margin;
  std::copy(in, in + n, to);
  for (int j = 1; j <= 2 * half_; ++j) {
    const float* row = in + static_cast<size_t>(j) * s.shift;
#pragma omp simd
    for (size_t i = 0; i < n; ++i) to[i] += row[i];
  }
}

void DnnlLRNLayer::Scale(Buffers& b) const {
  const size_t n = b.s.size;
  const float* x = b.x.data();
  float* sq = b.sq.data();
  float* scale = b.scale.data();
  float* power = b.power.data();
#pragma omp simd
  for (size_t i = 0; i < n; ++i) sq[i] = x[i] * x[i];
  WindowSum(b.s, sq, scale);
  const float k = k_, a = alpha_over_size_;
#pragma omp simd
  for (size_t i = 0; i < n; ++i) scale[i] = k + a * scale[i];
  // The usual exponents without pow (AlexNet, CaffeNet, GoogLeNet: 0.75).
  if (beta_ == 0.75f) {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) power[i] = 1.f / std::sqrt(scale[i] * std::sqrt(scale[i]));
  } else if (beta_ == 0.5f) {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) power[i] = 1.f / std::sqrt(scale[i]);
  } else if (beta_ == 1.f) {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) power[i] = 1.f / scale[i];
  } else {
    for (size_t i = 0; i < n; ++i) power[i] = std::pow(scale[i], -beta_);
  }
}

void DnnlLRNLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top) {
  if (!supported_) return LRNLayer::Forward_cpu(bottom, top);
  ScratchScope scratch;
  ChooseLayout(*bottom[0]->data());
  SyncedMemory& top_data = *top[0]->data();
  const float* src = static_cast<const float*>(src_.Read(*bottom[0]->data()).get_data_handle());
  float* dst = static_cast<float*>(dst_.Target(top_data).get_data_handle());
  const ChannelBlocks l = layout_;
#if defined(__AVX512F__)
  if (Blocked16::Fits(l, half_)) {
    const Blocked16 k(l, half_, k_, alpha_over_size_, beta_);
    const long pixels = static_cast<long>(shape_[0]) * l.pixels;
#pragma omp parallel if (pixels > 1)
    {
      Blocked16::VectorBuffer v(4 * k.blocks());
      __m512 *x = v.get(), *sq = x + k.blocks(), *scale = sq + k.blocks(),
             *power = scale + k.blocks();
#pragma omp for schedule(static)
      for (long i = 0; i < pixels; ++i) {
        const long n = i / l.pixels;
        const int p = static_cast<int>(i % l.pixels);
        k.Load(src, n, p, x);
        k.Scale(x, sq, scale, power);
        for (int b = 0; b < k.blocks(); ++b) x[b] = _mm512_mul_ps(x[b], power[b]);
        k.Store(x, n, p, dst);
      }
    }
    return;
  }
#endif
  const TileShape shape(l.channels, half_, l.block == 1);
  const int tiles = l.tiles();
  const long work = static_cast<long>(shape_[0]) * tiles;
#pragma omp parallel if (work > 1)
  {
    Buffers b(shape);
#pragma omp for schedule(static)
    for (long w = 0; w < work; ++w) {
      const long n = w / tiles;
      const int tile = static_cast<int>(w % tiles);
      Gather(l, shape, src + n * l.image(), tile, b.x.data());
      Scale(b);
#pragma omp simd
      for (size_t i = 0; i < shape.size; ++i) b.y[i] = b.x[i] * b.power[i];
      Scatter(l, shape, b.y.data(), tile, dst + n * l.image());
    }
  }
}

void DnnlLRNLayer::Backward_cpu(const std::vector<Blob*>& top,
                                const std::vector<bool>& propagate_down,
                                const std::vector<Blob*>& bottom) {
  if (!supported_) return LRNLayer::Backward_cpu(top, propagate_down, bottom);
  if (!propagate_down[0]) return;
  ScratchScope scratch;
  ChooseLayout(*bottom[0]->data());
  SyncedMemory& bottom_diff = *bottom[0]->diff();
  const float* src = static_cast<const float*>(src_.Read(*bottom[0]->data()).get_data_handle());
  const float* diff_dst =
      static_cast<const float*>(diff_dst_.Read(*top[0]->diff()).get_data_handle());
  float* diff_src = static_cast<float*>(diff_src_.Target(bottom_diff).get_data_handle());
  const ChannelBlocks l = layout_;
  const float factor = 2.f * layer_param_.lrn_param().alpha() * beta_ /
                       static_cast<float>(layer_param_.lrn_param().local_size());
#if defined(__AVX512F__)
  if (Blocked16::Fits(l, half_)) {
    const Blocked16 k(l, half_, k_, alpha_over_size_, beta_);
    const long pixels = static_cast<long>(shape_[0]) * l.pixels;
    const __m512 f = _mm512_set1_ps(factor);
#pragma omp parallel if (pixels > 1)
    {
      Blocked16::VectorBuffer v(6 * k.blocks());
      __m512 *x = v.get(), *dy = x + k.blocks(), *sq = dy + k.blocks(),
             *scale = sq + k.blocks(), *power = scale + k.blocks(), *ratio = power + k.blocks();
#pragma omp for schedule(static)
      for (long i = 0; i < pixels; ++i) {
        const long n = i / l.pixels;
        const int p = static_cast<int>(i % l.pixels);
        k.Load(src, n, p, x);
        k.Load(diff_dst, n, p, dy);
        k.Scale(x, sq, scale, power);
        // dy * y / scale, y = x * scale^-beta; then its window sums (in sq).
        for (int b = 0; b < k.blocks(); ++b) {
          ratio[b] = _mm512_div_ps(_mm512_mul_ps(dy[b], _mm512_mul_ps(x[b], power[b])), scale[b]);
        }
        k.WindowSum(ratio, sq);
        for (int b = 0; b < k.blocks(); ++b) {
          dy[b] = _mm512_fnmadd_ps(_mm512_mul_ps(f, x[b]), sq[b], _mm512_mul_ps(dy[b], power[b]));
        }
        k.Store(dy, n, p, diff_src);
      }
    }
    return;
  }
#endif
  const TileShape shape(l.channels, half_, l.block == 1);
  const int tiles = l.tiles();
  const long work = static_cast<long>(shape_[0]) * tiles;
#pragma omp parallel if (work > 1)
  {
    Buffers b(shape);
    const float* x = b.x.data();
    const float* dy = b.dy.data();
    const float* power = b.power.data();
    const float* scale = b.scale.data();
    float* ratio = b.ratio.data();
    float* dx = b.y.data();
#pragma omp for schedule(static)
    for (long w = 0; w < work; ++w) {
      const long n = w / tiles;
      const int tile = static_cast<int>(w % tiles);
      Gather(l, shape, src + n * l.image(), tile, b.x.data());
      Gather(l, shape, diff_dst + n * l.image(), tile, b.dy.data());
      Scale(b);
      // dy * y / scale, with y = x * scale^-beta as in the forward pass.
#pragma omp simd
      for (size_t i = 0; i < shape.size; ++i) ratio[i] = dy[i] * (x[i] * power[i]) / scale[i];
      ZeroMargins(shape, ratio);
      float* sum = b.sq.data();  // free again
      WindowSum(shape, ratio, sum);
#pragma omp simd
      for (size_t i = 0; i < shape.size; ++i) dx[i] = dy[i] * power[i] - factor * x[i] * sum[i];
      Scatter(l, shape, dx, tile, diff_src + n * l.image());
    }
  }
}

}  // namespace

CREMA_REGISTER_LAYER_ENGINE("LRN", "DNNL", kDnnlPriority, DnnlLRNLayer);

}  // namespace dnnl_engine
}  // namespace crema
