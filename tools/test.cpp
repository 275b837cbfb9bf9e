// test: scores a trained net (Caffe's `caffe test`): runs it forward
// --iterations times and logs the mean of every output.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <string>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "crema/net_score.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/precision.hpp"
#include "crema/progress.hpp"
#include "crema/tool.hpp"

DEFINE_string(model, "", "The net prototxt (required).");
DEFINE_string(weights, "", "Comma-separated .caffemodel files with the trained weights (required).");
DEFINE_int32(iterations, 50, "The number of batches to score.");
DEFINE_string(phase, "TEST", "The net's phase: TEST or TRAIN.");
DEFINE_string(stage, "", "Comma-separated stages of the net (NetState).");
DEFINE_int32(level, 0, "The net's level (NetState).");
DEFINE_string(gpu, "", "GPU ids (not supported by this build).");
DEFINE_string(precision, "", "Arithmetic of DNNL convolutions and inner products: fp32, bf16 "
              "or int8 (default: the net's own, fp32). Falls back to fp32, and says so, "
              "where the CPU lacks the instructions.");
DEFINE_string(calibration, "", "int8: the calibration file (default: the one tools/calibrate "
              "wrote next to the weights).");

namespace {

const char kUsage[] =
    "test: scores a trained net, averaging every output over the batches.\n"
    "\n"
    "Usage:\n"
    "  test --model=train_val.prototxt --weights=w.caffemodel [--iterations=50]\n"
    "\n"
    "Flags:\n"
    "  --model=FILE           the net prototxt (required)\n"
    "  --weights=A[,B...]     .caffemodel files to copy weights from (required)\n"
    "  --iterations=N         batches to score (default 50)\n"
    "  --phase=P              TEST (default) or TRAIN\n"
    "  --stage=S1[,S2...]     stages of the net\n"
    "  --level=N              level of the net\n"
    "  --gpu=IDS              not supported by this build (CPU only)\n";

int Test(int argc, char** argv) {
  crema::ExpectArgs(argc, 0, 0);
  if (FLAGS_model.empty()) crema::Throw("Give the net to score with --model=FILE.");
  if (FLAGS_weights.empty()) {
    crema::Throw("Give the trained weights with --weights=FILE.caffemodel.");
  }
  if (!FLAGS_gpu.empty()) {
    crema::Throw("This build of crema has no GPU support; run without --gpu.");
  }
  if (FLAGS_iterations <= 0) {
    crema::Throw("--iterations is ", FLAGS_iterations, "; give a positive number.");
  }
  crema::Phase phase;
  if (FLAGS_phase == "TEST") {
    phase = crema::TEST;
  } else if (FLAGS_phase == "TRAIN") {
    phase = crema::TRAIN;
  } else {
    crema::Throw("Unknown --phase '", FLAGS_phase, "'; use TEST or TRAIN.");
  }
  if (!crema::FileExists(FLAGS_model)) {
    crema::Throw("The model file '", FLAGS_model, "' does not exist.");
  }
  crema::NetParameter param;
  crema::ReadNetParamsFromTextFile(FLAGS_model, &param);
  param.mutable_state()->set_phase(phase);
  param.mutable_state()->set_level(FLAGS_level);
  for (const auto& stage : crema::SplitCommas(FLAGS_stage)) param.mutable_state()->add_stage(stage);
  crema::SetNetPrecision(FLAGS_precision, FLAGS_calibration, FLAGS_weights, &param);
  crema::Net net(param);
  for (const std::string& file : crema::SplitCommas(FLAGS_weights)) {
    net.CopyTrainedLayersFrom(file);
  }
  net.ShareActivationMemory();  // scoring reads only the net's outputs
  net.set_plain_after_pass(false);
  LOG(INFO) << "Running for " << FLAGS_iterations << " iterations.";
  crema::ScoreOptions options;
  options.log_batches = true;
  crema::ProgressBar bar("test", FLAGS_iterations);
  options.progress = [&bar](int done, int) { bar.Update(done); };
  const crema::NetScores scores = crema::ScoreNet(&net, FLAGS_iterations, options);
  bar.Update(scores.batches);
  bar.Finish();
  LOG(INFO) << "Loss: " << scores.mean_loss;
  for (size_t i = 0; i < scores.means.size(); ++i) {
    LOG(INFO) << crema::FormatScore(scores.names[i], scores.means[i],
                                    scores.loss_weights[i]);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return crema::RunTool(argc, argv, kUsage, Test); }
