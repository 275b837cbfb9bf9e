// Replays every input under tests/fuzz_regressions/<target>/ through the
// entry the fuzzer found it with: each once crashed, hung or exhausted
// memory in a reader, and must now be refused with a crema::Error (or
// accepted). A crash here is a reader bug come back.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>

#include "crema/common.hpp"
#include "crema/fuzz_entry.hpp"
#include "crema/io/proto_io.hpp"

namespace crema {
namespace {

namespace fs = std::filesystem;

fs::path RegressionRoot() { return fs::path(CREMA_SOURCE_DIR) / "tests" / "fuzz_regressions"; }

std::vector<fs::path> FilesIn(const fs::path& folder) {
  std::vector<fs::path> files;
  if (!fs::is_directory(folder)) return files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(FuzzRegressions, EveryFolderNamesATarget) {
  std::set<std::string> names;
  for (const fuzz::Target& target : fuzz::Targets()) names.insert(target.name);
  for (const auto& entry : fs::directory_iterator(RegressionRoot())) {
    if (!entry.is_directory()) continue;
    EXPECT_TRUE(names.count(entry.path().filename().string()))
        << entry.path() << " is not named after a fuzz target";
  }
}

TEST(FuzzRegressions, ReplayedInputsAreRefusedOrAccepted) {
  fuzz::QuietLogging();
  int replayed = 0;
  for (const fuzz::Target& target : fuzz::Targets()) {
    for (const fs::path& file : FilesIn(RegressionRoot() / target.name)) {
      SCOPED_TRACE(file.string());
      std::string error;
      // Anything but crema::Error escapes RunOne and fails the test.
      EXPECT_NO_THROW(fuzz::RunOne(target.run, ReadFileToString(file.string()), &error));
      ++replayed;
    }
  }
  FLAGS_minloglevel = 0;
  std::cout << "[ replayed " << replayed << " fuzz regression inputs ]\n";
}

// The generated seeds are valid files: each entry must accept them, which
// also shows the entries reach their readers' success paths.
TEST(FuzzRegressions, GeneratedSeedsAreAccepted) {
  fuzz::QuietLogging();
  const fs::path dir = fs::temp_directory_path() / "crema_fuzz_seed_test";
  fs::remove_all(dir);
  fuzz::WriteSeeds(dir.string());
  for (const fuzz::Target& target : fuzz::Targets()) {
    const std::vector<fs::path> seeds = FilesIn(dir / target.name);
    EXPECT_FALSE(seeds.empty()) << "no seeds for " << target.name;
    for (const fs::path& seed : seeds) {
      std::string error;
      EXPECT_TRUE(fuzz::RunOne(target.run, ReadFileToString(seed.string()), &error))
          << target.name << " refused its seed " << seed << ": " << error;
    }
  }
  fs::remove_all(dir);
  FLAGS_minloglevel = 0;
}

// A few of the inputs, with the sentence each must get.
TEST(FuzzRegressions, HugeDeclaredSizesAreRefusedWithTheirReason) {
  fuzz::QuietLogging();
  const struct {
    const char* target;
    const char* file;
    const char* message;
  } cases[] = {
      {"encoded_image", "jpeg_header_30000x30000_truncated.jpg", "announces a 30000 x 30000 image"},
      {"encoded_image", "png_header_20000x20000_truncated.png", "crema decodes at most"},
      {"encoded_image", "png_header_4294967295x4294967295",
       "announces a 4294967295 x 4294967295 image"},
      {"classify_image", "jpeg_header_30000x30000_truncated.jpg", "30000 x 30000"},
      {"classify_image", "png_header_4294967295x4294967295", "4294967295 x 4294967295"},
      {"classify_image", "gdcm_assert_jfif_lookalike", "is not a JPEG, PNG, BMP, PNM, TIFF or WebP"},
      {"datum", "shape_40000x40000_one_byte", "but holds 1 values"},
      {"binaryproto", "shape_2e9_one_value", "1 values"},
      {"hdf5", "rows_2pow32_plus_2.h5", "each must be below 2^31"},
      {"hdf5", "rows_1e9_nothing_stored.h5", "announces 1000000000 values but stores 0 bytes"},
  };
  for (const auto& c : cases) {
    const fs::path file = RegressionRoot() / c.target / c.file;
    std::string error;
    EXPECT_FALSE(fuzz::RunOne(fuzz::FindTarget(c.target).run,
                              ReadFileToString(file.string()), &error))
        << file;
    EXPECT_NE(error.find(c.message), std::string::npos) << file << ": " << error;
  }
  FLAGS_minloglevel = 0;
}

TEST(FuzzRegressions, UnknownTargetIsAnErrorListingTheTargets) {
  try {
    fuzz::FindTarget("nope");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("net_prototxt"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace crema
