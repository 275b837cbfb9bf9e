// A thread-safe FIFO whose Pop() waits for an element. Interrupt() wakes
// every waiter (Pop then returns false) until Resume().
#ifndef CREMA_DATA_BLOCKING_QUEUE_HPP_
#define CREMA_DATA_BLOCKING_QUEUE_HPP_

#include <condition_variable>
#include <deque>
#include <mutex>

namespace crema {

template <typename T>
class BlockingQueue {
 public:
  void Push(const T& value) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(value);
    }
    cond_.notify_one();
  }

  // Waits for an element; false when interrupted.
  bool Pop(T* value) {
    std::unique_lock<std::mutex> lock(mutex_);
    cond_.wait(lock, [this] { return !queue_.empty() || interrupted_; });
    if (queue_.empty()) return false;
    *value = queue_.front();
    queue_.pop_front();
    return true;
  }

  bool TryPop(T* value) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.empty()) return false;
    *value = queue_.front();
    queue_.pop_front();
    return true;
  }

  // Waits for an element and copies the front without removing it; false
  // when interrupted.
  bool Peek(T* value) {
    std::unique_lock<std::mutex> lock(mutex_);
    cond_.wait(lock, [this] { return !queue_.empty() || interrupted_; });
    if (queue_.empty()) return false;
    *value = queue_.front();
    return true;
  }

  void Interrupt() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      interrupted_ = true;
    }
    cond_.notify_all();
  }

  void Resume() {
    std::lock_guard<std::mutex> lock(mutex_);
    interrupted_ = false;
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cond_;
  std::deque<T> queue_;
  bool interrupted_ = false;
};

}  // namespace crema

#endif  // CREMA_DATA_BLOCKING_QUEUE_HPP_
