#include "crema/layers/bbox_util.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "crema/common.hpp"

namespace crema {

float BoxArea(const Box& b) {
  if (b.xmax < b.xmin || b.ymax < b.ymin) return 0.f;
  return (b.xmax - b.xmin) * (b.ymax - b.ymin);
}

float JaccardOverlap(const Box& a, const Box& b) {
  if (b.xmin > a.xmax || b.xmax < a.xmin || b.ymin > a.ymax || b.ymax < a.ymin) {
    return 0.f;
  }
  const float w = std::min(a.xmax, b.xmax) - std::max(a.xmin, b.xmin);
  const float h = std::min(a.ymax, b.ymax) - std::max(a.ymin, b.ymin);
  const float inter = w * h;
  const float uni = BoxArea(a) + BoxArea(b) - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

namespace {

// The factor a code is divided by on encoding: the variance, unless the
// code already carries it.
float Var(const float* variance, int i, bool variance_in_target) {
  return variance_in_target ? 1.f : variance[i];
}

}  // namespace

Box DecodeBox(const Box& p, const float* variance, PriorBoxParameter::CodeType code,
              bool in_target, const float* loc) {
  const float pw = p.xmax - p.xmin, ph = p.ymax - p.ymin;
  const float v0 = Var(variance, 0, in_target), v1 = Var(variance, 1, in_target);
  const float v2 = Var(variance, 2, in_target), v3 = Var(variance, 3, in_target);
  Box b;
  switch (code) {
    case PriorBoxParameter::CORNER:
      b = {p.xmin + v0 * loc[0], p.ymin + v1 * loc[1], p.xmax + v2 * loc[2],
           p.ymax + v3 * loc[3]};
      break;
    case PriorBoxParameter::CORNER_SIZE:
      b = {p.xmin + v0 * loc[0] * pw, p.ymin + v1 * loc[1] * ph,
           p.xmax + v2 * loc[2] * pw, p.ymax + v3 * loc[3] * ph};
      break;
    case PriorBoxParameter::CENTER_SIZE: {
      const float cx = v0 * loc[0] * pw + (p.xmin + p.xmax) / 2.f;
      const float cy = v1 * loc[1] * ph + (p.ymin + p.ymax) / 2.f;
      const float w = std::exp(v2 * loc[2]) * pw;
      const float h = std::exp(v3 * loc[3]) * ph;
      b = {cx - w / 2.f, cy - h / 2.f, cx + w / 2.f, cy + h / 2.f};
      break;
    }
  }
  return b;
}

void EncodeBox(const Box& p, const float* variance, PriorBoxParameter::CodeType code,
               bool in_target, const Box& b, float* loc) {
  const float pw = p.xmax - p.xmin, ph = p.ymax - p.ymin;
  const float v0 = Var(variance, 0, in_target), v1 = Var(variance, 1, in_target);
  const float v2 = Var(variance, 2, in_target), v3 = Var(variance, 3, in_target);
  switch (code) {
    case PriorBoxParameter::CORNER:
      loc[0] = (b.xmin - p.xmin) / v0;
      loc[1] = (b.ymin - p.ymin) / v1;
      loc[2] = (b.xmax - p.xmax) / v2;
      loc[3] = (b.ymax - p.ymax) / v3;
      break;
    case PriorBoxParameter::CORNER_SIZE:
      loc[0] = (b.xmin - p.xmin) / pw / v0;
      loc[1] = (b.ymin - p.ymin) / ph / v1;
      loc[2] = (b.xmax - p.xmax) / pw / v2;
      loc[3] = (b.ymax - p.ymax) / ph / v3;
      break;
    case PriorBoxParameter::CENTER_SIZE: {
      const float bw = b.xmax - b.xmin, bh = b.ymax - b.ymin;
      loc[0] = ((b.xmin + b.xmax) / 2.f - (p.xmin + p.xmax) / 2.f) / pw / v0;
      loc[1] = ((b.ymin + b.ymax) / 2.f - (p.ymin + p.ymax) / 2.f) / ph / v1;
      loc[2] = std::log(bw / pw) / v2;
      loc[3] = std::log(bh / ph) / v3;
      break;
    }
  }
}

std::vector<int> NmsFast(const std::vector<Box>& boxes, const float* scores,
                         float score_threshold, float nms_threshold, float eta,
                         int top_k) {
  std::vector<std::pair<float, int>> order;
  for (int i = 0; i < static_cast<int>(boxes.size()); ++i) {
    if (scores[i] > score_threshold) order.emplace_back(scores[i], i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  if (top_k > -1 && top_k < static_cast<int>(order.size())) order.resize(top_k);
  std::vector<int> kept;
  float threshold = nms_threshold;
  for (const auto& candidate : order) {
    const int idx = candidate.second;
    bool keep = true;
    for (int k : kept) {
      if (JaccardOverlap(boxes[idx], boxes[k]) > threshold) {
        keep = false;
        break;
      }
    }
    if (!keep) continue;
    kept.push_back(idx);
    if (eta < 1.f && threshold > 0.5f) threshold *= eta;
  }
  return kept;
}

void MatchBoxes(const std::vector<Box>& gt, const std::vector<Box>& preds,
                MultiBoxLossParameter::MatchType type, float threshold,
                std::vector<int>* match, std::vector<float>* overlap) {
  const int num_pred = static_cast<int>(preds.size());
  const int num_gt = static_cast<int>(gt.size());
  match->assign(num_pred, -1);
  overlap->assign(num_pred, 0.f);
  std::vector<float> iou(static_cast<size_t>(num_pred) * num_gt, 0.f);
  for (int i = 0; i < num_pred; ++i) {
    for (int j = 0; j < num_gt; ++j) {
      const float o = JaccardOverlap(preds[i], gt[j]);
      if (o > 1e-6f) {
        iou[i * num_gt + j] = o;
        (*overlap)[i] = std::max((*overlap)[i], o);
      }
    }
  }
  std::vector<bool> gt_free(num_gt, true);
  for (int round = 0; round < num_gt; ++round) {
    int best_i = -1, best_j = -1;
    float best = -1.f;
    for (int i = 0; i < num_pred; ++i) {
      if ((*match)[i] != -1) continue;
      for (int j = 0; j < num_gt; ++j) {
        const float o = iou[i * num_gt + j];
        if (gt_free[j] && o > 1e-6f && o > best) {
          best = o, best_i = i, best_j = j;
        }
      }
    }
    if (best_i == -1) break;
    (*match)[best_i] = best_j;
    (*overlap)[best_i] = best;
    gt_free[best_j] = false;
  }
  if (type != MultiBoxLossParameter::PER_PREDICTION) return;
  for (int i = 0; i < num_pred; ++i) {
    if ((*match)[i] != -1) continue;
    int best_j = -1;
    float best = -1.f;
    for (int j = 0; j < num_gt; ++j) {
      const float o = iou[i * num_gt + j];
      if (o >= threshold && o > best) best = o, best_j = j;
    }
    if (best_j != -1) {
      (*match)[i] = best_j;
      (*overlap)[i] = best;
    }
  }
}

float AveragePrecision(std::vector<std::pair<float, int>> scored_tp, int num_pos,
                       const std::string& ap_version) {
  if (num_pos <= 0 || scored_tp.empty()) return 0.f;
  std::stable_sort(scored_tp.begin(), scored_tp.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  const int n = static_cast<int>(scored_tp.size());
  std::vector<float> prec(n), rec(n);
  int tp = 0;
  for (int i = 0; i < n; ++i) {
    tp += scored_tp[i].second;
    prec[i] = static_cast<float>(tp) / (i + 1);
    rec[i] = static_cast<float>(tp) / num_pos;
  }
  float ap = 0.f;
  if (ap_version == "11point") {
    std::vector<float> max_prec(n);
    max_prec[n - 1] = prec[n - 1];
    for (int i = n - 2; i >= 0; --i) max_prec[i] = std::max(prec[i], max_prec[i + 1]);
    int start = 0;
    for (int t = 0; t <= 10; ++t) {
      while (start < n && rec[start] < t / 10.0) ++start;
      if (start < n) ap += max_prec[start] / 11.f;
    }
  } else if (ap_version == "MaxIntegral") {
    float cur_rec = rec[n - 1], cur_prec = prec[n - 1];
    for (int i = n - 2; i >= 0; --i) {
      cur_prec = std::max(prec[i], cur_prec);
      if (std::fabs(cur_rec - rec[i]) > 1e-6f) ap += cur_prec * std::fabs(cur_rec - rec[i]);
      cur_rec = rec[i];
    }
    ap += cur_rec * cur_prec;
  } else if (ap_version == "Integral") {
    float prev_rec = 0.f;
    for (int i = 0; i < n; ++i) {
      if (std::fabs(rec[i] - prev_rec) > 1e-6f) ap += prec[i] * std::fabs(rec[i] - prev_rec);
      prev_rec = rec[i];
    }
  } else {
    Throw("unknown ap_version '", ap_version, "': use 11point, MaxIntegral or Integral.");
  }
  return ap;
}

float MeanAveragePrecision(const std::vector<std::vector<float>>& results,
                           const std::string& ap_version,
                           std::vector<std::pair<int, float>>* per_class) {
  std::map<int, int> num_pos;
  std::map<int, std::vector<std::pair<float, int>>> scored;
  for (const std::vector<float>& rows : results) {
    for (size_t r = 0; r + 5 <= rows.size(); r += 5) {
      const int label = static_cast<int>(rows[r + 1]);
      if (rows[r] == -1.f) {
        num_pos[label] += static_cast<int>(rows[r + 2]);
      } else {
        scored[label].emplace_back(rows[r + 2], static_cast<int>(rows[r + 3]));
      }
    }
  }
  if (num_pos.empty()) return 0.f;
  float sum = 0.f;
  for (const auto& [label, count] : num_pos) {
    const float ap = AveragePrecision(scored[label], count, ap_version);
    if (per_class) per_class->emplace_back(label, ap);
    sum += ap;
  }
  return sum / num_pos.size();
}

}  // namespace crema
