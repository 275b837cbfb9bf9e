// A small web page inside a training process: live loss / accuracy / lr
// curves, iteration, images/s and ETA, and buttons that snapshot or stop
// the run as SIGHUP / SIGINT would.
//
// The monitor reads nothing from the solver: it installs a glog sink and
// parses the solver's own log lines with TrainingLogParser, so it sees what
// the log says, when the log says it. Its HTTP server (cpp-httplib) runs on
// its own thread and serves
//   GET  /              the page (self-contained HTML + a canvas chart)
//   GET  /api/status    {"iteration":..,"max_iteration":..,"loss":..,"lr":..,
//                        "images_per_second":..,"eta":"..",...}
//   GET  /api/series    {"train":[{"iteration":..,"seconds":..,"lr":..,
//                        "outputs":{"loss":..}}...],"test":[...]}
//   POST /api/snapshot  snapshot at the next iteration (as SIGHUP does)
//   POST /api/stop      snapshot, then stop (as SIGINT does)
// The two POSTs are accepted from loopback clients, or from anyone who sends
// the token (header "X-Crema-Token" or ?token=) when one is configured.
#ifndef CREMA_MONITOR_TRAINING_MONITOR_HPP_
#define CREMA_MONITOR_TRAINING_MONITOR_HPP_

#include <functional>
#include <memory>
#include <string>

namespace crema {

struct MonitorOptions {
  // "PORT", "HOST:PORT" or "HOST" (port 8080); host defaults to 127.0.0.1.
  // Port 0 picks a free port (see TrainingMonitor::port()).
  std::string address = "127.0.0.1:8080";
  // When not empty, clients that are not on loopback may press the buttons
  // by sending this token.
  std::string token;
  // What the buttons do; by default they ask as the signals would (see
  // RequestSignalEffect in crema/signal_handler.hpp).
  std::function<void()> on_snapshot;
  std::function<void()> on_stop;
};

class TrainingMonitor {
 public:
  // Binds the address and starts serving; throws crema::Error naming the
  // address when it cannot be bound.
  explicit TrainingMonitor(const MonitorOptions& options);
  // Stops the server and removes the log sink.
  ~TrainingMonitor();
  TrainingMonitor(const TrainingMonitor&) = delete;
  TrainingMonitor& operator=(const TrainingMonitor&) = delete;

  const std::string& host() const;
  int port() const;
  std::string url() const;

  // Feeds one log message (without glog prefix); the sink calls this for
  // every line, and tests may call it directly.
  void AddLogMessage(const std::string& message);
  // The JSON the endpoints serve.
  std::string StatusJson() const;
  std::string SeriesJson() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Splits "HOST:PORT", "PORT" or "HOST" into its parts (default host
// 127.0.0.1, default port 8080); throws crema::Error on a bad port.
void ParseMonitorAddress(const std::string& address, std::string* host, int* port);

// Whether a button request from `remote_address` that sent `sent_token` may
// act: always from loopback, from elsewhere only with the configured token.
bool MonitorButtonAllowed(const std::string& token, const std::string& remote_address,
                          const std::string& sent_token);

// The page served at "/".
const char* MonitorPageHtml();

}  // namespace crema

#endif  // CREMA_MONITOR_TRAINING_MONITOR_HPP_
