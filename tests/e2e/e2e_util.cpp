#include "e2e/e2e_util.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <thread>

#include "crema/common.hpp"
#include "crema/data/digits.hpp"
#include "crema/data/image_set.hpp"
#include "crema/io/upgrade_proto.hpp"

extern char** environ;

namespace crema {
namespace testing {

void MakeDigitLmdbs(const std::string& dir, int train_per_class, int test_per_class) {
  DigitsOptions digits;
  digits.train_per_class = train_per_class;
  digits.test_per_class = test_per_class;
  digits.seed = 1;
  GenerateDigits(dir + "/digits", digits);
  ConvertOptions options;
  options.gray = true;
  options.shuffle = true;
  Crema::set_random_seed(1);
  ConvertImageFolder(dir + "/digits/train", dir + "/train_lmdb", options);
  options.shuffle = false;
  ConvertImageFolder(dir + "/digits/test", dir + "/test_lmdb", options);
}

NetParameter LeNetOn(const std::string& train_lmdb, const std::string& test_lmdb,
                     int train_batch, int test_batch) {
  NetParameter net;
  ReadNetParamsFromTextFile(CREMA_SOURCE_DIR "/models/lenet/lenet_train_test.prototxt", &net);
  int data_layers = 0;
  for (LayerParameter& layer : *net.mutable_layer()) {
    if (layer.type() != "Data") continue;
    ++data_layers;
    const bool train = layer.include_size() > 0 && layer.include(0).phase() == TRAIN;
    layer.mutable_data_param()->set_source(train ? train_lmdb : test_lmdb);
    layer.mutable_data_param()->set_batch_size(train ? train_batch : test_batch);
  }
  CHECK_EQ(data_layers, 2) << "lenet_train_test.prototxt should have two Data layers";
  return net;
}

void AddCropAndMirror(NetParameter* net, int crop_size) {
  for (LayerParameter& layer : *net->mutable_layer()) {
    if (layer.type() != "Data") continue;
    layer.mutable_transform_param()->set_crop_size(crop_size);
    layer.mutable_transform_param()->set_mirror(true);
  }
}

pid_t SpawnTool(const std::string& binary, const std::vector<std::string>& args,
                const std::string& log) {
  std::vector<std::string> all{binary};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

int WaitTool(pid_t pid, double seconds) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFSIGNALED(status)) {
    ADD_FAILURE() << "the tool was killed by signal " << WTERMSIG(status);
    return 128 + WTERMSIG(status);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int RunToolFor(const std::string& binary, const std::vector<std::string>& args,
               const std::string& log, double seconds) {
  const pid_t pid = SpawnTool(binary, args, log);
  return pid < 0 ? -1 : WaitTool(pid, seconds);
}

float LastTestOutput(const std::string& log, const std::string& name) {
  const std::regex line("Test net output #[0-9]+: " + name + " = ([-+0-9.eE]+)");
  float value = -1;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line);
       it != std::sregex_iterator(); ++it) {
    value = std::strtof((*it)[1].str().c_str(), nullptr);
  }
  return value;
}

}  // namespace testing
}  // namespace crema
