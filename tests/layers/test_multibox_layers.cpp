// The SSD fork's training and evaluation layers: MultiBoxLoss (worked by
// hand, then numerical gradients), DetectionEvaluate (true and false
// positives, mAP) and AnnotatedData (records, boxes, mirroring, resizing).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "crema/layers/bbox_util.hpp"
#include "crema/layers/multibox_loss_layer.hpp"
#include "layers/ssd_test_data.hpp"
#include "solver/solver_test_util.hpp"
#include "support/gradient_checker.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::GradientChecker;
using testing::ParseText;

void Set(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(static_cast<size_t>(blob->count()), values.size());
  std::copy(values.begin(), values.end(), blob->mutable_cpu_data());
}

std::shared_ptr<Layer> Make(const std::string& text, const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  auto layer = LayerRegistry::Create(ParseText<LayerParameter>(text));
  layer->SetUp(bottom, top);
  return layer;
}

class MultiBoxLossTest : public ::testing::Test {
 protected:
  // Three priors: top-left, top-right and bottom-left quarters; variance 1.
  MultiBoxLossTest()
      : loc_(std::vector<int>{1, 12}), conf_(std::vector<int>{1, 6}),
        prior_(std::vector<int>{1, 2, 12}), gt_(std::vector<int>{1, 1, 1, 8}) {
    Set(&prior_, {0, 0, 0.5f, 0.5f, 0.5f, 0, 1, 0.5f, 0, 0.5f, 0.5f, 1,
                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
    Set(&gt_, {0, 1, 0, 0, 0, 0.5f, 0.5f, 0});  // exactly prior 0
    Set(&loc_, {0.5f, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    Set(&conf_, {0, 0, 0, 1, 0, -1});
  }
  std::string Param(const std::string& extra = "") const {
    return "type: 'MultiBoxLoss' multibox_loss_param { num_classes: 2 "
           "code_type: CORNER neg_pos_ratio: 1 " + extra + " }";
  }
  Blob loc_, conf_, prior_, gt_, top_;
};

TEST_F(MultiBoxLossTest, WorkedExampleByHand) {
  auto layer = Make(Param(), {&loc_, &conf_, &prior_, &gt_}, {&top_});
  layer->Forward({&loc_, &conf_, &prior_, &gt_}, {&top_});
  // Prior 0 matches (IoU 1): its code target is 0, so smooth L1 of
  // (0.5, 0, 2, 0) is 0.125 + 1.5. Its confidence loss is -log(1/2). One
  // negative (1 x 1 positive): prior 1, whose background loss log(1 + e)
  // beats prior 2's log(1 + 1/e). One positive: normalizer 1.
  const float expected = 1.625f + std::log(2.f) + std::log(1.f + std::exp(1.f));
  EXPECT_NEAR(expected, top_.cpu_data()[0], 1e-5);
  auto* mbox = static_cast<MultiBoxLossLayer*>(layer.get());
  EXPECT_EQ(1, mbox->num_matches());
  EXPECT_EQ(1, mbox->num_negatives());

  // Backward: loc gets the smooth L1 gradient (0.5, 0, 1, 0) on prior 0 only.
  top_.mutable_cpu_diff()[0] = 1.f;
  layer->Backward({&top_}, {true, true, false, false}, {&loc_, &conf_, &prior_, &gt_});
  const std::vector<float> loc_diff(loc_.cpu_diff(), loc_.cpu_diff() + 12);
  EXPECT_EQ((std::vector<float>{0.5f, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}), loc_diff);
  // conf: prior 0 toward label 1: (0.5, -0.5); prior 1 toward 0; prior 2 none.
  const float p = 1.f / (1.f + std::exp(1.f));
  EXPECT_NEAR(0.5f, conf_.cpu_diff()[0], 1e-6);
  EXPECT_NEAR(-0.5f, conf_.cpu_diff()[1], 1e-6);
  EXPECT_NEAR(p - 1.f, conf_.cpu_diff()[2], 1e-6);
  EXPECT_EQ(0.f, conf_.cpu_diff()[4]);
}

TEST_F(MultiBoxLossTest, MatchingAndMiningVariants) {
  // PER_PREDICTION with threshold 0.3: prior 1 overlaps a wide box by 0.5
  // and matches too; BIPARTITE leaves it out.
  Set(&gt_, {0, 1, 0, 0, 0, 1, 0.5f, 0});
  auto per = Make(Param("match_type: PER_PREDICTION overlap_threshold: 0.3"),
                  {&loc_, &conf_, &prior_, &gt_}, {&top_});
  per->Forward({&loc_, &conf_, &prior_, &gt_}, {&top_});
  EXPECT_EQ(2, static_cast<MultiBoxLossLayer*>(per.get())->num_matches());
  auto bip = Make(Param("match_type: BIPARTITE"), {&loc_, &conf_, &prior_, &gt_}, {&top_});
  bip->Forward({&loc_, &conf_, &prior_, &gt_}, {&top_});
  EXPECT_EQ(1, static_cast<MultiBoxLossLayer*>(bip.get())->num_matches());
  // NONE: every unmatched prior is a negative.
  auto none = Make(Param("match_type: BIPARTITE mining_type: NONE"),
                   {&loc_, &conf_, &prior_, &gt_}, {&top_});
  none->Forward({&loc_, &conf_, &prior_, &gt_}, {&top_});
  EXPECT_EQ(2, static_cast<MultiBoxLossLayer*>(none.get())->num_negatives());
  // A background-labelled box is an error.
  Set(&gt_, {0, 0, 0, 0, 0, 1, 0.5f, 0});
  EXPECT_THROW(bip->Forward({&loc_, &conf_, &prior_, &gt_}, {&top_}), Error);
}

TEST(MultiBoxLossGradient, LocationsAndConfidences) {
  // 2 images, a 4 x 4 grid of priors, 3 classes, CENTER_SIZE codes.
  const int priors = 16, classes = 3;
  Blob loc(std::vector<int>{2, priors * 4}), conf(std::vector<int>{2, priors * classes});
  Blob prior(std::vector<int>{1, 2, priors * 4}), gt(std::vector<int>{1, 1, 3, 8}), top;
  float* p = prior.mutable_cpu_data();
  for (int i = 0; i < priors; ++i) {
    const float x = (i % 4) * 0.25f, y = (i / 4) * 0.25f;
    const float box[4] = {x - 0.05f, y - 0.05f, x + 0.3f, y + 0.3f};
    for (int k = 0; k < 4; ++k) {
      p[i * 4 + k] = box[k];
      p[priors * 4 + i * 4 + k] = k < 2 ? 0.1f : 0.2f;
    }
  }
  Set(&gt, {0, 1, 0, 0.1f, 0.1f, 0.45f, 0.4f, 0, 0, 2, 0, 0.5f, 0.5f, 0.9f, 0.95f, 0,
           1, 2, 0, 0.2f, 0.3f, 0.6f, 0.7f, 0});
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.5f, 1.5f);
  for (int i = 0; i < loc.count(); ++i) loc.mutable_cpu_data()[i] = u(rng);
  // Random confidences: no two priors tie for mining (a tie would flip
  // the choice under the step and halve the numerical gradient).
  std::normal_distribution<float> g(0.f, 1.f);
  for (int i = 0; i < conf.count(); ++i) conf.mutable_cpu_data()[i] = g(rng);
  auto layer = Make("type: 'MultiBoxLoss' multibox_loss_param { num_classes: 3 "
                    "code_type: CENTER_SIZE overlap_threshold: 0.3 }",
                    {&loc, &conf, &prior, &gt}, {&top});
  GradientChecker checker(1e-3f, 2e-2f);
  checker.CheckGradientExhaustive(layer.get(), {&loc, &conf, &prior, &gt}, {&top}, 0);
  checker.CheckGradientExhaustive(layer.get(), {&loc, &conf, &prior, &gt}, {&top}, 1);
}

TEST(DetectionEvaluateLayer, TruePositivesAndMeanAP) {
  Blob det(std::vector<int>{1, 1, 5, 7}), gt(std::vector<int>{1, 1, 3, 8}), top;
  Set(&gt, {0, 1, 0, 0, 0, 0.5f, 0.5f, 0, 0, 1, 1, 0.5f, 0.5f, 1, 1, 0,
            1, 2, 0, 0, 0, 1, 1, 0});
  Set(&det, {0, 1, 0.9f, 0, 0, 0.5f, 0.5f,      // hits box 0
             0, 1, 0.8f, 0, 0, 0.5f, 0.5f,      // box 0 again: false
             0, 1, 0.7f, 0.6f, 0.6f, 1, 1,      // IoU 0.64 with box 1
             1, 1, 0.6f, 0, 0, 1, 1,            // image 1 has no label 1
             1, 2, 0.5f, 0, 0, 0.9f, 0.9f});    // IoU 0.81
  auto layer = Make("type: 'DetectionEvaluate' detection_evaluate_param { num_classes: 3 }",
                    {&det, &gt}, {&top});
  layer->Forward({&det, &gt}, {&top});
  const std::vector<float> got(top.cpu_data(), top.cpu_data() + top.count());
  const std::vector<float> want = {-1, 1, 2, -1, -1, -1, 2, 1, -1, -1,
                                   0, 1, 0.9f, 1, 0, 0, 1, 0.8f, 0, 1, 0, 1, 0.7f, 1, 0,
                                   1, 1, 0.6f, 0, 1, 1, 2, 0.5f, 1, 0};
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(want[i], got[i], 1e-6) << i;
  // Class 1: precision 1, 1/2, 2/3, 1/2 at recall 1/2, 1/2, 1, 1 ->
  // MaxIntegral 1 * 0.5 + 2/3 * 0.5; class 2: 1.
  const float map = MeanAveragePrecision({got}, "MaxIntegral");
  EXPECT_NEAR((0.5f + 1.f / 3.f + 1.f) / 2.f, map, 1e-6);
}

TEST(AnnotatedDataLayer, ReadsBoxesMirrorsAndResizes) {
  testing::TempDir dir;
  const std::string source = dir / "squares_lmdb";
  {
    std::mt19937 rng(1);
    auto db = db::OpenDB("lmdb", source, db::Mode::NEW);
    auto txn = db->NewTransaction();
    // Square at columns 0..1 of an 8 x 8 image: box x 0..0.25.
    txn->Put(db::FormatKey(0), testing::SquareImage(8, 1, 0, 2, 2, 3, &rng).SerializeAsString());
    txn->Commit();
  }
  Blob data, label;
  auto layer = Make("type: 'AnnotatedData' phase: TRAIN transform_param { mirror: true "
                    "resize_param { height: 16 width: 16 resize_mode: WARP } } "
                    "data_param { source: '" + source + "' batch_size: 8 backend: LMDB }",
                    {}, {&data, &label});
  int mirrored = 0;
  for (int pass = 0; pass < 2; ++pass) {
    layer->Forward({}, {&data, &label});
    ASSERT_EQ((std::vector<int>{8, 1, 16, 16}), data.shape());
    ASSERT_EQ((std::vector<int>{1, 1, 8, 8}), label.shape());
    for (int item = 0; item < 8; ++item) {
      const float* row = label.cpu_data() + item * 8;
      EXPECT_EQ(item, row[0]);
      EXPECT_EQ(3, row[1]);
      // The square is bright where the box says: left or right edge.
      const float* image = data.cpu_data() + data.offset(item);
      const bool right = row[3] > 0.5f;
      mirrored += right;
      EXPECT_NEAR(right ? 0.75f : 0.f, row[3], 1e-6);
      EXPECT_NEAR(right ? 1.f : 0.25f, row[5], 1e-6);
      EXPECT_GT(image[5 * 16 + (right ? 15 : 0)], 150.f);
      EXPECT_LT(image[5 * 16 + (right ? 0 : 15)], 60.f);
    }
  }
  EXPECT_GT(mirrored, 0);
  EXPECT_LT(mirrored, 16);
}

}  // namespace
}  // namespace crema
