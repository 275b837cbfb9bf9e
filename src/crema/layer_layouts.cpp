// Where a layer meets blobs held in an engine's layout (syncedmem.hpp): a
// layer that reads plain values only gets plain ones, and a layer used on
// its own hands back plain ones.
#include "crema/layer.hpp"

namespace crema {
namespace {

bool SharesMemory(const SyncedMemory* mem, const std::vector<Blob*>& blobs, bool diffs) {
  for (const Blob* blob : blobs) {
    if ((diffs ? blob->diff() : blob->data()).get() == mem) return true;
  }
  return false;
}

// Outputs the layer overwrites whole: values an engine left there earlier
// are dead, so they are dropped rather than converted.
void DiscardOverwritten(const std::vector<Blob*>& outputs,
                        const std::vector<Blob*>& inputs, bool diffs) {
  for (Blob* blob : outputs) {
    SyncedMemory* mem = (diffs ? blob->diff() : blob->data()).get();
    if (mem && !SharesMemory(mem, inputs, diffs)) mem->discard_values();
  }
}

void DataToPlain(const std::vector<Blob*>& blobs) {
  for (Blob* blob : blobs) {
    if (blob->data()) blob->data()->ToPlain();
  }
}

}  // namespace

void Layer::PrepareForward(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  if (ReadsEngineLayouts()) return;
  DataToPlain(bottom);
  for (const auto& blob : blobs_) blob->ToPlain();
  DiscardOverwritten(top, bottom, false);
}

void Layer::PrepareBackward(const std::vector<Blob*>& top,
                            const std::vector<Blob*>& bottom) {
  if (ReadsEngineLayouts()) return;
  for (Blob* blob : top) blob->ToPlain();
  DataToPlain(bottom);
  for (const auto& blob : blobs_) blob->ToPlain();
  DiscardOverwritten(bottom, top, true);
}

void Layer::FinishPass(const std::vector<Blob*>& outputs, bool diffs) {
  if (keep_engine_layouts_) return;
  for (Blob* blob : outputs) {
    SyncedMemory* mem = (diffs ? blob->diff() : blob->data()).get();
    if (mem) mem->ToPlain();
  }
  for (const auto& blob : blobs_) blob->ToPlain();
}

}  // namespace crema
