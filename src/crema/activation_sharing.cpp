// Net::ShareActivationMemory: buffer reuse for inference.
//
// Blobs that alias one buffer (a Split's tops and its bottom, Flatten and
// Reshape views) form a group; a group is live from the first layer that
// writes it to the last layer that reads it. Walking the layers in order, a
// group takes a free buffer when it is first written and gives it back
// after its last reader, so buffers are reused as soon as they are dead.
#include <algorithm>
#include <climits>
#include <map>
#include <set>

#include "crema/net.hpp"

namespace crema {
namespace {

struct Group {
  std::vector<int> blobs;
  int first = INT_MAX;  // first layer writing it
  int last = -1;        // last layer touching it
};

}  // namespace

void Net::ShareActivationMemory(const std::vector<std::string>& keep) {
  keep_activations_.clear();
  for (const std::string& name : keep) {
    blob_by_name(name);  // throws, naming the blob, when the net has none
    keep_activations_.insert(static_cast<int>(blob_names_index_.at(name)));
  }
  for (int id : net_input_blob_indices_) keep_activations_.insert(id);
  for (int id : net_output_blob_indices_) keep_activations_.insert(id);
  for (int i = 0; i < num_layers(); ++i) {
    if (!bottom_vecs_[i].empty()) continue;
    for (int id : top_id_vecs_[i]) keep_activations_.insert(id);
  }
  share_activations_ = true;
  activation_groups_.clear();

  // Group the blobs by the buffer they hold now, before any pooling.
  std::map<const SyncedMemory*, size_t> group_of;
  std::vector<Group> groups;
  std::vector<int> blob_group(blobs_.size(), -1);
  for (size_t id = 0; id < blobs_.size(); ++id) {
    const SyncedMemory* mem = blobs_[id]->data().get();
    if (!mem) continue;
    auto it = group_of.find(mem);
    if (it == group_of.end()) {
      it = group_of.emplace(mem, groups.size()).first;
      groups.emplace_back();
    }
    groups[it->second].blobs.push_back(static_cast<int>(id));
    blob_group[id] = static_cast<int>(it->second);
  }
  for (int i = 0; i < num_layers(); ++i) {
    for (int id : top_id_vecs_[i]) {
      if (blob_group[id] < 0) continue;
      Group& g = groups[blob_group[id]];
      g.first = std::min(g.first, i);
      g.last = std::max(g.last, i);
    }
    for (int id : bottom_id_vecs_[i]) {
      if (blob_group[id] < 0) continue;
      Group& g = groups[blob_group[id]];
      g.last = std::max(g.last, i);
    }
  }
  for (const Group& g : groups) {
    bool eligible = g.last >= 0;
    for (int id : g.blobs) eligible &= !keep_activations_.count(id);
    // A buffer that anything besides these blobs holds (a layer's internal
    // blob, a parameter) is not ours to move.
    const auto& mem = blobs_[g.blobs[0]]->data();
    eligible &= mem.use_count() == static_cast<long>(g.blobs.size());
    if (!eligible) continue;
    activation_groups_.push_back({g.blobs, g.first, g.last});
  }
  PlanActivationSharing();
}

void Net::PlanActivationSharing() {
  // Greedy interval assignment: best fit among the free buffers.
  std::vector<size_t> pool_bytes;
  std::vector<int> pool_of(activation_groups_.size(), -1);
  std::set<int> free_pools;
  std::vector<std::vector<size_t>> starting(num_layers()), ending(num_layers());
  for (size_t g = 0; g < activation_groups_.size(); ++g) {
    starting[activation_groups_[g].first].push_back(g);
    ending[activation_groups_[g].last].push_back(g);
  }
  for (int i = 0; i < num_layers(); ++i) {
    for (size_t g : starting[i]) {
      size_t need = 0;
      for (int id : activation_groups_[g].blobs) {
        need = std::max(need, static_cast<size_t>(blobs_[id]->count()) * sizeof(float));
      }
      int best = -1;
      for (int p : free_pools) {
        const bool fits = pool_bytes[p] >= need;
        if (best < 0) { best = p; continue; }
        const bool best_fits = pool_bytes[best] >= need;
        if (fits && (!best_fits || pool_bytes[p] < pool_bytes[best])) best = p;
        if (!fits && !best_fits && pool_bytes[p] > pool_bytes[best]) best = p;
      }
      if (best < 0) {
        best = static_cast<int>(pool_bytes.size());
        pool_bytes.push_back(0);
      } else {
        free_pools.erase(best);
      }
      pool_bytes[best] = std::max(pool_bytes[best], need);
      pool_of[g] = best;
    }
    for (size_t g : ending[i]) free_pools.insert(pool_of[g]);
  }
  std::vector<std::shared_ptr<SyncedMemory>> pools;
  for (size_t bytes : pool_bytes) pools.push_back(std::make_shared<SyncedMemory>(bytes));
  for (size_t g = 0; g < activation_groups_.size(); ++g) {
    for (int id : activation_groups_[g].blobs) blobs_[id]->SetDataBuffer(pools[pool_of[g]]);
  }
}

size_t Net::ActivationBytes() const {
  std::set<const SyncedMemory*> seen;
  size_t bytes = 0;
  for (const auto& blob : blobs_) {
    const SyncedMemory* mem = blob->data().get();
    if (mem && seen.insert(mem).second) bytes += mem->size();
  }
  return bytes;
}

}  // namespace crema
