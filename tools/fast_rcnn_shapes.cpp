// The Fast R-CNN demo on generated shapes: trains models/fast_rcnn_shapes,
// detects on new images and prints PASCAL VOC average precision per class.
#include <gflags/gflags.h>

#include <cstdio>

#include "crema/common.hpp"
#include "crema/fast_rcnn/shapes.hpp"
#include "crema/fast_rcnn/shapes_demo.hpp"
#include "crema/tool.hpp"

DEFINE_string(solver, "models/fast_rcnn_shapes/fast_rcnn_solver.prototxt",
              "The solver of the training net.");
DEFINE_string(test_net, "models/fast_rcnn_shapes/test.prototxt", "The detection net.");
DEFINE_int32(iterations, 0, "Training iterations (0: the solver's max_iter).");
DEFINE_int32(test_images, 100, "How many new images to detect on.");
DEFINE_uint64(seed, 1, "Seed of the images, the sampling and the fillers.");
DEFINE_double(min_map, 0, "Exit with status 1 when the mAP is below this.");

int main(int argc, char** argv) {
  return crema::RunTool(
      argc, argv,
      "Trains Fast R-CNN (ROIPooling + SmoothL1Loss) on generated images of squares,\n"
      "circles and triangles with sliding-window proposals, then reports VOC mAP\n"
      "(IoU 0.5) on new images.\n"
      "Usage:\n"
      "    fast_rcnn_shapes [--iterations=N] [--test_images=N] [--min_map=X]",
      [](int argc, char** argv) {
        crema::ExpectArgs(argc, 0, 0);
        crema::fast_rcnn::ShapesDemoOptions options;
        options.solver_file = FLAGS_solver;
        options.test_net_file = FLAGS_test_net;
        options.iterations = FLAGS_iterations;
        options.test_images = FLAGS_test_images;
        options.seed = FLAGS_seed;
        const auto result = crema::fast_rcnn::RunShapesDemo(options);
        std::printf("Trained %d iterations: loss %.4f (first 20) -> %.4f (last 20)\n",
                    result.iterations, result.first_loss, result.last_loss);
        for (size_t c = 1; c < result.average_precision.size(); ++c) {
          std::printf("AP %-8s %.4f\n", crema::fast_rcnn::ShapeName(static_cast<int>(c)),
                      result.average_precision[c]);
        }
        std::printf("mAP (VOC, IoU 0.5) on %d images: %.4f\n", options.test_images,
                    result.mean_average_precision);
        if (result.mean_average_precision < FLAGS_min_map) {
          crema::Throw("The mAP ", result.mean_average_precision, " is below --min_map=",
                       FLAGS_min_map, ".");
        }
        return 0;
      });
}
