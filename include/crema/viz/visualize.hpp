// Pictures of what a trained net does, for tools/visualize: its first
// layer's filters as an image grid, one image's activations in a blob as a
// grid, and an occlusion-sensitivity map (slide a grey patch over the image
// and record how much the class score drops).
#ifndef CREMA_VIZ_VISUALIZE_HPP_
#define CREMA_VIZ_VISUALIZE_HPP_

#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "crema/blob.hpp"
#include "crema/classifier.hpp"

namespace crema {

// Tiles 8-bit images (1 or 3 channels; all converted to BGR) into a grid of
// `columns` columns, each tile scaled (nearest neighbour) to cell x cell
// pixels, with `gap` pixels of white between them.
cv::Mat TileGrid(const std::vector<cv::Mat>& tiles, int columns, int cell, int gap = 4);

// One tile per filter of a 4-D weight blob (N x C x kh x kw): colour when
// C is 3 (read as BGR), else channel 0; each filter scaled to [0, 255] on
// its own. Throws crema::Error for a blob that is not 4-D.
std::vector<cv::Mat> FilterTiles(const Blob& weights);

// One tile per channel of item `item` of a blob (N x C x H x W, or N x C
// shown as 1 x 1 tiles), each scaled to [0, 255] on its own.
std::vector<cv::Mat> ActivationTiles(const Blob& blob, int item);

// The first layer of `net` whose first parameter blob is 4-D (a convolution);
// throws crema::Error naming the net when there is none.
std::string FirstFilterLayer(const Net& net);

struct OcclusionOptions {
  int patch = 0;     // the grey square's side, in input pixels (0: a quarter of the input)
  int stride = 0;    // its step (0: half the patch)
  int label = -1;    // the class whose score is watched (-1: the unoccluded top class)
  int gray = 128;    // the patch's pixel value
  int batch = 16;    // occluded images per forward pass
};

struct OcclusionMap {
  cv::Mat drop;  // CV_32F, one cell per patch position: base score - occluded score
  float base_score = 0;
  int label = 0;
  int patch = 0, stride = 0;
  // The image as it went into the net (input size, BGR 8-bit).
  cv::Mat image;
};

// Slides the patch over `image` (resized to the net's input) and classifies
// every occluded copy.
OcclusionMap ComputeOcclusion(Classifier* classifier, const cv::Mat& image,
                              const OcclusionOptions& options);

// The image with the drop map laid over it as a heat map (red: the score
// falls most when that part is hidden), `size` pixels on its longer side.
cv::Mat RenderOcclusion(const OcclusionMap& map, int size = 384);

}  // namespace crema

#endif  // CREMA_VIZ_VISUALIZE_HPP_
