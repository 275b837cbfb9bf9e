#include "crema/monitor/training_monitor.hpp"

#include <glog/logging.h>
#include <httplib.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <thread>

#include "crema/common.hpp"
#include "crema/signal_handler.hpp"
#include "crema/training_log.hpp"

namespace crema {
namespace {

// JSON has no NaN or infinity: they become null.
std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  std::ostringstream os;
  os.precision(9);
  os << value;
  return os.str();
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string RowsJson(const std::vector<TrainingLogRow>& rows) {
  std::string out = "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    const TrainingLogRow& row = rows[i];
    out += StrCat(i ? "," : "", "{\"iteration\":", JsonNumber(row.iteration),
                  ",\"seconds\":", JsonNumber(row.seconds),
                  ",\"lr\":", JsonNumber(row.learning_rate), ",\"outputs\":{");
    for (size_t k = 0; k < row.outputs.size(); ++k) {
      out += StrCat(k ? "," : "", JsonString(row.outputs[k].first), ":",
                    JsonNumber(row.outputs[k].second));
    }
    out += "}}";
  }
  return out + "]";
}

bool IsLoopback(const std::string& address) {
  return address == "::1" || address.rfind("127.", 0) == 0 ||
         address.rfind("::ffff:127.", 0) == 0;
}

}  // namespace

bool MonitorButtonAllowed(const std::string& token, const std::string& remote_address,
                          const std::string& sent_token) {
  if (IsLoopback(remote_address)) return true;
  return !token.empty() && sent_token == token;
}

void ParseMonitorAddress(const std::string& address, std::string* host, int* port) {
  *host = "127.0.0.1";
  *port = 8080;
  std::string port_text;
  const size_t colon = address.rfind(':');
  if (colon != std::string::npos) {
    if (colon > 0) *host = address.substr(0, colon);
    port_text = address.substr(colon + 1);
  } else if (!address.empty() &&
             address.find_first_not_of("0123456789") == std::string::npos) {
    port_text = address;
  } else if (!address.empty()) {
    *host = address;
  }
  if (!port_text.empty()) {
    char* end = nullptr;
    const long value = std::strtol(port_text.c_str(), &end, 10);
    if (*end != '\0' || value < 0 || value > 65535) {
      Throw("The monitor address '", address, "' has no valid port (0-65535) after ':'.");
    }
    *port = static_cast<int>(value);
  }
}

// The glog sink: every message the process logs goes to the parser.
class MonitorLogSink : public google::LogSink {
 public:
  explicit MonitorLogSink(TrainingMonitor* monitor) : monitor_(monitor) {}
  void send(google::LogSeverity, const char*, const char*, int,
            const google::LogMessageTime&, const char* message,
            size_t message_len) override {
    monitor_->AddLogMessage(std::string(message, message_len));
  }

 private:
  TrainingMonitor* monitor_;
};

struct TrainingMonitor::State {
  MonitorOptions options;
  std::string host;
  int port = 0;
  mutable std::mutex mutex;
  TrainingLogParser parser;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  httplib::Server server;
  std::thread thread;
  std::unique_ptr<MonitorLogSink> sink;
};

namespace {

bool Allowed(const MonitorOptions& options, const httplib::Request& request) {
  const std::string sent = request.has_header("X-Crema-Token")
                               ? request.get_header_value("X-Crema-Token")
                               : request.get_param_value("token");
  return MonitorButtonAllowed(options.token, request.remote_addr, sent);
}

void AddButton(httplib::Server* server, const std::string& path, const MonitorOptions& options,
               const std::function<void()>& action, const std::string& done) {
  server->Post(path, [&options, action, done](const httplib::Request& request,
                                              httplib::Response& response) {
    if (!Allowed(options, request)) {
      response.status = 403;
      response.set_content(
          "{\"error\":\"only loopback clients, or clients sending --monitor_token, may "
          "snapshot or stop the run\"}",
          "application/json");
      return;
    }
    action();
    response.set_content(StrCat("{\"ok\":true,\"action\":", JsonString(done), "}"),
                         "application/json");
  });
}

}  // namespace

TrainingMonitor::TrainingMonitor(const MonitorOptions& options)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.options = options;
  if (!s.options.on_snapshot) s.options.on_snapshot = [] { RequestSignalEffect(SIGHUP); };
  if (!s.options.on_stop) s.options.on_stop = [] { RequestSignalEffect(SIGINT); };
  ParseMonitorAddress(options.address, &s.host, &s.port);
  // SO_REUSEADDR but not httplib's default SO_REUSEPORT: a second run on the
  // same port must fail, not share it.
  s.server.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  s.server.Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(MonitorPageHtml(), "text/html; charset=utf-8");
  });
  s.server.Get("/api/status", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(StatusJson(), "application/json");
  });
  s.server.Get("/api/series", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(SeriesJson(), "application/json");
  });
  AddButton(&s.server, "/api/snapshot", s.options, s.options.on_snapshot, "snapshot");
  AddButton(&s.server, "/api/stop", s.options, s.options.on_stop, "stop");
  if (s.port == 0) {
    s.port = s.server.bind_to_any_port(s.host);
    if (s.port < 0) Throw("The training monitor cannot listen on ", s.host, " (any port).");
  } else if (!s.server.bind_to_port(s.host, s.port)) {
    Throw("The training monitor cannot listen on ", s.host, ":", s.port,
          " (in use, or not an address of this machine); pick another with --monitor.");
  }
  s.thread = std::thread([this] { state_->server.listen_after_bind(); });
  // httplib's stop() does nothing until the thread has started listening:
  // wait for that, so destroying the monitor at once cannot hang.
  for (int waited_ms = 0; !s.server.is_running() && waited_ms < 10000; ++waited_ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  s.sink = std::make_unique<MonitorLogSink>(this);
  google::AddLogSink(s.sink.get());
}

TrainingMonitor::~TrainingMonitor() {
  google::RemoveLogSink(state_->sink.get());
  state_->server.stop();
  if (state_->thread.joinable()) state_->thread.join();
}

const std::string& TrainingMonitor::host() const { return state_->host; }
int TrainingMonitor::port() const { return state_->port; }
std::string TrainingMonitor::url() const {
  return StrCat("http://", state_->host, ":", state_->port, "/");
}

void TrainingMonitor::AddLogMessage(const std::string& message) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - state_->start).count();
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->parser.AddMessage(message, seconds);
}

std::string TrainingMonitor::StatusJson() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  const TrainingStatus& st = state_->parser.status();
  return StrCat("{\"iteration\":", st.iteration, ",\"max_iteration\":", st.max_iteration,
                ",\"loss\":", JsonNumber(st.loss), ",\"lr\":", JsonNumber(st.learning_rate),
                ",\"iterations_per_second\":", JsonNumber(st.iterations_per_second),
                ",\"images_per_second\":", JsonNumber(st.images_per_second),
                ",\"eta\":", JsonString(st.eta), ",\"seconds\":", JsonNumber(st.seconds),
                ",\"buttons_need_token\":", state_->options.token.empty() ? "false" : "true",
                "}");
}

std::string TrainingMonitor::SeriesJson() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return StrCat("{\"train\":", RowsJson(state_->parser.train_rows()),
                ",\"test\":", RowsJson(state_->parser.test_rows()), "}");
}

}  // namespace crema
