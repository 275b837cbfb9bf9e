// The training monitor's server: the page, the JSON endpoints fed from log
// messages, and the buttons (loopback only unless a token is configured).
#include <gtest/gtest.h>
#include <glog/logging.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "crema/monitor/training_monitor.hpp"

namespace crema {
namespace {

// One HTTP/1.0 exchange with 127.0.0.1:port; the whole response, or "" when
// the connection fails. Reads time out after 5 s, so a test cannot hang.
std::string Http(int port, const std::string& method, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = method + " " + path +
                                " HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
    }
  }
  close(fd);
  return response;
}

TEST(TrainingMonitorTest, AddressesParse) {
  std::string host;
  int port = 0;
  ParseMonitorAddress("127.0.0.1:9000", &host, &port);
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 9000);
  ParseMonitorAddress("8081", &host, &port);
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8081);
  ParseMonitorAddress("0.0.0.0:0", &host, &port);
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 0);
  EXPECT_THROW(ParseMonitorAddress("localhost:http", &host, &port), std::runtime_error);
  EXPECT_THROW(ParseMonitorAddress("127.0.0.1:70000", &host, &port), std::runtime_error);
}

TEST(TrainingMonitorTest, ServesThePageAndTheSeries) {
  std::atomic<int> stops{0}, snapshots{0};
  MonitorOptions options;
  options.address = "127.0.0.1:0";
  options.on_stop = [&] { ++stops; };
  options.on_snapshot = [&] { ++snapshots; };
  TrainingMonitor monitor(options);
  ASSERT_GT(monitor.port(), 0);
  EXPECT_EQ(monitor.url(), "http://127.0.0.1:" + std::to_string(monitor.port()) + "/");

  const std::string page = Http(monitor.port(), "GET", "/");
  EXPECT_NE(page.find("200 OK"), std::string::npos);
  EXPECT_NE(page.find("<canvas id=\"loss_chart\""), std::string::npos);
  EXPECT_NE(page.find("id=\"stop\""), std::string::npos);

  monitor.AddLogMessage("Iteration 20, loss = 0.75");
  monitor.AddLogMessage("    Train net output #0: loss = 0.75 (* 1 = 0.75 loss)");
  monitor.AddLogMessage("    Speed: 5 iter/s, 320 images/s; about 1m 04s left for 320 iterations");
  monitor.AddLogMessage("Iteration 20, lr = 0.01");
  const std::string status = Http(monitor.port(), "GET", "/api/status");
  EXPECT_NE(status.find("\"iteration\":20"), std::string::npos) << status;
  EXPECT_NE(status.find("\"max_iteration\":340"), std::string::npos) << status;
  EXPECT_NE(status.find("\"images_per_second\":320"), std::string::npos) << status;
  EXPECT_NE(status.find("\"eta\":\"1m 04s\""), std::string::npos) << status;
  const std::string series = Http(monitor.port(), "GET", "/api/series");
  EXPECT_NE(series.find("\"train\":[{\"iteration\":20,"), std::string::npos) << series;
  EXPECT_NE(series.find("\"outputs\":{\"loss\":0.75}"), std::string::npos) << series;
  EXPECT_NE(series.find("\"test\":[]"), std::string::npos) << series;

  // glog lines reach it through the sink (INFO is what the solver logs at;
  // the test suite keeps only warnings, so lower the bar for this line).
  const int saved_level = FLAGS_minloglevel;
  FLAGS_minloglevel = 0;
  LOG(INFO) << "    Test net output #0: accuracy = 0.875";
  FLAGS_minloglevel = saved_level;
  EXPECT_NE(monitor.SeriesJson().find("\"accuracy\":0.875"), std::string::npos);

  EXPECT_NE(Http(monitor.port(), "POST", "/api/snapshot").find("\"ok\":true"),
            std::string::npos);
  EXPECT_NE(Http(monitor.port(), "POST", "/api/stop").find("\"ok\":true"), std::string::npos);
  EXPECT_EQ(snapshots, 1);
  EXPECT_EQ(stops, 1);
  EXPECT_NE(Http(monitor.port(), "GET", "/api/stop").find("404"), std::string::npos);
}

TEST(TrainingMonitorTest, ButtonsAnswerLoopbackOrTheToken) {
  EXPECT_TRUE(MonitorButtonAllowed("", "127.0.0.1", ""));
  EXPECT_TRUE(MonitorButtonAllowed("", "::1", ""));
  EXPECT_TRUE(MonitorButtonAllowed("", "::ffff:127.0.0.1", ""));
  EXPECT_FALSE(MonitorButtonAllowed("", "192.168.1.20", ""));
  EXPECT_FALSE(MonitorButtonAllowed("", "192.168.1.20", "anything"));
  EXPECT_FALSE(MonitorButtonAllowed("s3cret", "192.168.1.20", ""));
  EXPECT_FALSE(MonitorButtonAllowed("s3cret", "192.168.1.20", "guess"));
  EXPECT_TRUE(MonitorButtonAllowed("s3cret", "192.168.1.20", "s3cret"));
  EXPECT_FALSE(MonitorButtonAllowed("s3cret", "1127.0.0.1", ""));
}

TEST(TrainingMonitorTest, BusyPortIsASentence) {
  MonitorOptions options;
  options.address = "127.0.0.1:0";
  TrainingMonitor first(options);
  options.address = "127.0.0.1:" + std::to_string(first.port());
  try {
    TrainingMonitor second(options);
    FAIL() << "bound the same port twice";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(options.address), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace crema
