// visualize: pictures of a trained net — filters, activations, occlusion maps.
#include <gflags/gflags.h>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <iostream>
#include <string>

#include "crema/classifier.hpp"
#include "crema/net.hpp"
#include "crema/tool.hpp"
#include "crema/viz/visualize.hpp"

DEFINE_string(model, "", "The deploy prototxt (required).");
DEFINE_string(weights, "", "The trained .caffemodel (required).");
DEFINE_string(out, "", "The PNG to write (required).");
DEFINE_string(layer, "", "filters: the layer whose filters to draw (default: the first "
                         "convolution).");
DEFINE_string(blob, "", "activations: the blob to show (required for activations).");
DEFINE_string(mean_file, "", "A .binaryproto mean subtracted from the input.");
DEFINE_string(mean_value, "", "Mean value(s), comma separated, instead of --mean_file.");
DEFINE_double(raw_scale, 255, "Input pixels are scaled from [0, 255] to [0, raw_scale].");
DEFINE_double(scale, 1, "Multiplies the input after mean subtraction.");
DEFINE_int32(cell, 48, "Pixels per tile in the grids.");
DEFINE_int32(columns, 0, "Tiles per row in the grids (0: about square).");
DEFINE_int32(label, -1, "occlusion: the class to watch (default: the top class).");
DEFINE_int32(patch, 0, "occlusion: the grey patch's side in input pixels (0: a quarter).");
DEFINE_int32(stride, 0, "occlusion: the patch's step (0: half the patch).");
DEFINE_int32(size, 384, "occlusion: the picture's longer side in pixels.");

namespace {

const char kUsage[] =
    "visualize: draws what a trained net does, as PNG.\n"
    "\n"
    "Usage:\n"
    "  visualize filters     --model=M --weights=W [--layer=conv1] --out=filters.png\n"
    "  visualize activations --model=M --weights=W --blob=conv1 IMAGE --out=act.png\n"
    "  visualize occlusion   --model=M --weights=W IMAGE --out=occlusion.png\n"
    "                        [--label=N --patch=P --stride=S]\n"
    "\n"
    "filters: the layer's filters as a grid (colour for 3-channel filters).\n"
    "activations: every channel of the blob for one image, as a grid.\n"
    "occlusion: a grey patch slides over the image; the map shows how much the\n"
    "class score drops with each part hidden (red: most).\n"
    "Input preparation: --mean_file or --mean_value, --raw_scale, --scale, as\n"
    "in classify.\n";

crema::ClassifierOptions Options(const std::string& output_blob) {
  if (FLAGS_model.empty() || FLAGS_weights.empty() || FLAGS_out.empty()) {
    throw crema::UsageError("Give --model, --weights and --out.");
  }
  crema::ClassifierOptions options;
  options.model_file = FLAGS_model;
  options.weights_files = {FLAGS_weights};
  options.mean_file = FLAGS_mean_file;
  std::string values = FLAGS_mean_value;
  for (size_t start = 0; !values.empty() && start <= values.size();) {
    const size_t comma = values.find(',', start);
    const std::string part = values.substr(start, comma - start);
    if (!part.empty()) options.mean_values.push_back(std::stof(part));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  options.raw_scale = static_cast<float>(FLAGS_raw_scale);
  options.scale = static_cast<float>(FLAGS_scale);
  options.output_blob = output_blob;
  return options;
}

int Columns(size_t tiles) {
  return FLAGS_columns > 0 ? FLAGS_columns
                           : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(tiles))));
}

void Write(const cv::Mat& image) {
  if (!cv::imwrite(FLAGS_out, image)) crema::Throw("Cannot write the PNG '", FLAGS_out, "'.");
  std::cout << "Wrote " << FLAGS_out << " (" << image.cols << " x " << image.rows << ")\n";
}

int Visualize(int argc, char** argv) {
  crema::ExpectArgs(argc, 1, 2);
  const std::string mode = argv[1];
  if (mode == "filters") {
    crema::Classifier classifier(Options(""));
    const crema::Net& net = classifier.net();
    const std::string layer = FLAGS_layer.empty() ? crema::FirstFilterLayer(net) : FLAGS_layer;
    if (!net.layer_by_name(layer) || net.layer_by_name(layer)->blobs().empty()) {
      crema::Throw("The net '", net.name(), "' has no layer '", layer, "' with weights.");
    }
    const auto tiles = crema::FilterTiles(*net.layer_by_name(layer)->blobs()[0]);
    Write(crema::TileGrid(tiles, Columns(tiles.size()), FLAGS_cell));
    return 0;
  }
  if (argc != 3) throw crema::UsageError("Give one IMAGE after '" + mode + "'.");
  if (mode == "activations") {
    if (FLAGS_blob.empty()) throw crema::UsageError("Give the blob to show with --blob.");
    crema::Classifier classifier(Options(FLAGS_blob));
    classifier.ClassifyFiles({argv[2]}, 1);
    const auto tiles = crema::ActivationTiles(*classifier.net().blob_by_name(FLAGS_blob), 0);
    Write(crema::TileGrid(tiles, Columns(tiles.size()), FLAGS_cell));
    return 0;
  }
  if (mode == "occlusion") {
    crema::Classifier classifier(Options(""));
    crema::OcclusionOptions options;
    options.label = FLAGS_label;
    options.patch = FLAGS_patch;
    options.stride = FLAGS_stride;
    const crema::OcclusionMap map =
        crema::ComputeOcclusion(&classifier, classifier.ReadImage(argv[2]), options);
    std::cout << "Class " << map.label << " scores " << map.base_score << " unoccluded; "
              << map.drop.rows << " x " << map.drop.cols << " patch positions\n";
    Write(crema::RenderOcclusion(map, FLAGS_size));
    return 0;
  }
  throw crema::UsageError("Unknown mode '" + mode + "'; use filters, activations or occlusion.");
}

}  // namespace

int main(int argc, char** argv) { return crema::RunTool(argc, argv, kUsage, Visualize); }
