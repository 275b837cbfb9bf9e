// Bases of the data layers. A data layer has no bottoms and one or two tops
// (data, and optionally label). The prefetching base fills a queue of
// batches in a background thread so the net rarely waits for decoding.
#ifndef CREMA_LAYERS_BASE_DATA_LAYER_HPP_
#define CREMA_LAYERS_BASE_DATA_LAYER_HPP_

#include <atomic>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crema/data/blocking_queue.hpp"
#include "crema/data/data_transformer.hpp"
#include "crema/stateful.hpp"
#include "crema/layer.hpp"

namespace crema {

class BaseDataLayer : public Layer {
 public:
  explicit BaseDataLayer(const LayerParameter& param) : Layer(param) {}
  // Creates the transformer, then calls DataLayerSetUp.
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  virtual void DataLayerSetUp(const std::vector<Blob*>& bottom,
                              const std::vector<Blob*>& top) = 0;
  // Tops are shaped in DataLayerSetUp and Forward.
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override {}

  int ExactNumBottomBlobs() const override { return 0; }
  int MinTopBlobs() const override { return 1; }
  int MaxTopBlobs() const override { return 2; }

  DataTransformer* transformer() { return transformer_.get(); }

 protected:
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {}

  // The message of an error the transformer threw, without the layer's
  // name it starts with (for re-throwing with more context).
  std::string WithoutOwner(const Error& error) const;

  std::unique_ptr<DataTransformer> transformer_;
  bool output_labels_ = false;
};

// One prefetched batch and the reader state from which it was made.
struct Batch {
  Blob data_;
  Blob label_;
  std::string state_;
  std::exception_ptr error_;
};

class BasePrefetchingDataLayer : public BaseDataLayer, public StatefulLayer {
 public:
  explicit BasePrefetchingDataLayer(const LayerParameter& param);
  ~BasePrefetchingDataLayer() override;

  // Sets up, then starts the prefetch thread.
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;

  // The state from which the next batch handed to the net was made (not how
  // far the thread has read ahead). Waits for that batch if needed.
  std::string SaveState() const override;
  // Stops the thread, drops prefetched batches, repositions and restarts.
  void RestoreState(const std::string& state) override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;

  // Fills one batch; runs in the prefetch thread. Errors are thrown as
  // crema::Error and rethrown by the next Forward.
  virtual void LoadBatch(Batch* batch) = 0;
  // The reader's position (plus the transformer's engine) before a batch;
  // runs in the prefetch thread between batches.
  virtual std::string ReaderState() const = 0;
  virtual void RestoreReaderState(const std::string& state) = 0;

  void StartPrefetch();
  void StopPrefetch();

  // Joins the transformer's state with a reader position and splits it.
  std::string PackState(const std::string& position) const;
  std::string UnpackState(const std::string& state);

 private:
  void PrefetchLoop();

  std::vector<std::shared_ptr<Batch>> prefetch_;
  mutable BlockingQueue<std::shared_ptr<Batch>> prefetch_free_;
  mutable BlockingQueue<std::shared_ptr<Batch>> prefetch_full_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

}  // namespace crema

#endif  // CREMA_LAYERS_BASE_DATA_LAYER_HPP_
