#include "crema/gradient_sync.hpp"

#include <mutex>
#include <utility>

namespace crema {
namespace {

struct Backends {
  std::mutex mutex;
  std::vector<std::pair<std::string, DistributedBackend>> list;
};

Backends& GetBackends() {
  static Backends backends;
  return backends;
}

}  // namespace

void RegisterDistributedBackend(const std::string& name, DistributedBackend backend) {
  Backends& backends = GetBackends();
  std::lock_guard<std::mutex> lock(backends.mutex);
  backends.list.emplace_back(name, std::move(backend));
}

std::vector<std::string> DistributedBackends() {
  Backends& backends = GetBackends();
  std::lock_guard<std::mutex> lock(backends.mutex);
  std::vector<std::string> names;
  for (const auto& entry : backends.list) names.push_back(entry.first);
  return names;
}

std::unique_ptr<GradientSync> StartDistributed(const DistributedOptions& options) {
  std::vector<DistributedBackend> candidates;
  {
    Backends& backends = GetBackends();
    std::lock_guard<std::mutex> lock(backends.mutex);
    for (const auto& entry : backends.list) candidates.push_back(entry.second);
  }
  for (const auto& backend : candidates) {
    if (auto sync = backend(options)) return sync;
  }
  return nullptr;
}

}  // namespace crema
