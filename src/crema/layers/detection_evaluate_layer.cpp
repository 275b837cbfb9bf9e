#include "crema/layers/detection_evaluate_layer.hpp"

#include <algorithm>
#include <map>

#include "crema/layer_registry.hpp"
#include "crema/layers/bbox_util.hpp"

namespace crema {

namespace {

struct Truth {
  Box box;
  bool difficult;
};
struct Detection {
  float score;
  Box box;
};

}  // namespace

void DetectionEvaluateLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                        const std::vector<Blob*>& top) {
  const DetectionEvaluateParameter& p = layer_param_.detection_evaluate_param();
  if (!p.has_num_classes() || p.num_classes() < 1) {
    Fail("detection_evaluate_param.num_classes must be given and positive.");
  }
  if (p.has_name_size_file()) {
    Fail("detection_evaluate_param.name_size_file is not supported; boxes are ",
         "compared in normalised coordinates.");
  }
  num_classes_ = static_cast<int>(p.num_classes());
  background_ = static_cast<int>(p.background_label_id());
  overlap_threshold_ = p.overlap_threshold();
  evaluate_difficult_ = p.evaluate_difficult_gt();
}

void DetectionEvaluateLayer::Reshape(const std::vector<Blob*>& bottom,
                                     const std::vector<Blob*>& top) {
  if (bottom[0]->shape(-1) != 7 || bottom[1]->shape(-1) != 8) {
    Fail("needs detections ... x 7 and ground truth ... x 8; got ",
         bottom[0]->shape_string(), " and ", bottom[1]->shape_string(), ".");
  }
  top[0]->Reshape(std::vector<int>{1, 1, 1, 5});
}

void DetectionEvaluateLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                         const std::vector<Blob*>& top) {
  std::map<int, std::map<int, std::vector<Truth>>> truths;  // image, label
  std::map<int, int> num_pos;
  const float* g = bottom[1]->cpu_data();
  for (int i = 0; i < bottom[1]->count() / 8; ++i, g += 8) {
    if (g[0] == -1.f) continue;
    const bool difficult = g[7] != 0.f;
    truths[static_cast<int>(g[0])][static_cast<int>(g[1])].push_back(
        {Box{g[3], g[4], g[5], g[6]}, difficult});
    if (evaluate_difficult_ || !difficult) ++num_pos[static_cast<int>(g[1])];
  }
  std::map<int, std::map<int, std::vector<Detection>>> dets;
  const float* d = bottom[0]->cpu_data();
  for (int i = 0; i < bottom[0]->count() / 7; ++i, d += 7) {
    if (d[1] == -1.f) continue;  // DetectionOutput's "nothing found" row
    dets[static_cast<int>(d[0])][static_cast<int>(d[1])].push_back(
        {d[2], Box{d[3], d[4], d[5], d[6]}});
  }
  std::vector<float> rows;
  for (int c = 0; c < num_classes_; ++c) {
    if (c == background_) continue;
    rows.insert(rows.end(), {-1.f, static_cast<float>(c),
                             static_cast<float>(num_pos[c]), -1.f, -1.f});
  }
  for (auto& [image, by_label] : dets) {
    for (auto& [label, list] : by_label) {
      std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
        return a.score > b.score;
      });
      const std::vector<Truth>* gt = nullptr;
      const auto img = truths.find(image);
      if (img != truths.end() && img->second.count(label)) gt = &img->second.at(label);
      std::vector<bool> taken(gt ? gt->size() : 0, false);
      for (const Detection& det : list) {
        float tp = 0.f, fp = 1.f;
        int best = -1;
        float best_overlap = -1.f;
        for (size_t j = 0; gt && j < gt->size(); ++j) {
          const float o = JaccardOverlap(det.box, (*gt)[j].box);
          if (o > best_overlap) best_overlap = o, best = static_cast<int>(j);
        }
        if (best >= 0 && best_overlap >= overlap_threshold_) {
          if (!evaluate_difficult_ && (*gt)[best].difficult) {
            fp = 0.f;
          } else if (!taken[best]) {
            taken[best] = true;
            tp = 1.f, fp = 0.f;
          }
        }
        rows.insert(rows.end(), {static_cast<float>(image), static_cast<float>(label),
                                 det.score, tp, fp});
      }
    }
  }
  top[0]->Reshape(std::vector<int>{1, 1, static_cast<int>(rows.size() / 5), 5});
  std::copy(rows.begin(), rows.end(), top[0]->mutable_cpu_data());
}

CREMA_REGISTER_LAYER("DetectionEvaluate", DetectionEvaluateLayer);

}  // namespace crema
