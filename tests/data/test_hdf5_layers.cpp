// HDF5Data and HDF5Output: files written here with the HDF5 C API, read
// order across files, wrap-around, shuffling, relative paths, resumable
// state, appending output batches, and user-facing errors.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "crema/layer_registry.hpp"
#include "crema/stateful.hpp"
#include "solver/solver_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::ParseText;
using testing::TempDir;
using testing::WriteTextFile;

// Writes float datasets (name, shape, values) into a new file.
void WriteH5(const std::string& path,
             const std::vector<std::tuple<std::string, std::vector<hsize_t>,
                                          std::vector<float>>>& sets) {
  const hid_t file =
      H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  for (const auto& [name, dims, values] : sets) {
    const hid_t space =
        H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t set = H5Dcreate2(file, name.c_str(), H5T_NATIVE_FLOAT, space,
                                 H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
             values.data());
    H5Dclose(set);
    H5Sclose(space);
  }
  H5Fclose(file);
}

// Rows r of a file: data = {base + r, -(base + r)}, label = base + r.
void WriteRows(const std::string& path, int base, int rows) {
  std::vector<float> data, label;
  for (int r = 0; r < rows; ++r) {
    data.push_back(base + r);
    data.push_back(-(base + r));
    label.push_back(base + r);
  }
  WriteH5(path, {{"data", {hsize_t(rows), 2, 1}, data},
                 {"label", {hsize_t(rows)}, label}});
}

std::vector<float> ReadH5(const std::string& path, const std::string& name,
                          std::vector<hsize_t>* dims) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t set = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  const hid_t space = H5Dget_space(set);
  dims->resize(H5Sget_simple_extent_ndims(space));
  H5Sget_simple_extent_dims(space, dims->data(), nullptr);
  hsize_t count = 1;
  for (hsize_t d : *dims) count *= d;
  std::vector<float> values(count);
  H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  H5Sclose(space);
  H5Dclose(set);
  H5Fclose(file);
  return values;
}

LayerParameter DataParam(const std::string& source, int batch_size,
                         bool shuffle = false) {
  return ParseText<LayerParameter>(
      "name: 'h5' type: 'HDF5Data' top: 'data' top: 'label' hdf5_data_param { "
      "source: '" +
      source + "' batch_size: " + std::to_string(batch_size) +
      (shuffle ? " shuffle: true" : "") + " }");
}

class HDF5LayerTest : public ::testing::Test {
 protected:
  HDF5LayerTest() { Crema::set_random_seed(1701); }
  std::shared_ptr<Layer> Make(const LayerParameter& param) {
    auto layer = LayerRegistry::Create(param);
    layer->SetUp({}, {&data_, &label_});
    return layer;
  }
  std::vector<float> Labels(Layer* layer) {
    layer->Forward({}, {&data_, &label_});
    return std::vector<float>(label_.cpu_data(),
                              label_.cpu_data() + label_.count());
  }
  TempDir dir_;
  Blob data_, label_;
};

TEST_F(HDF5LayerTest, ReadsFilesInOrderAndWrapsAround) {
  WriteRows(dir_ / "a.h5", 0, 4);
  WriteRows(dir_ / "b.h5", 100, 3);
  WriteTextFile(dir_ / "list.txt", dir_ / "a.h5\n\n" + (dir_ / "b.h5") + "\n");
  auto layer = Make(DataParam(dir_ / "list.txt", 3));
  EXPECT_EQ((std::vector<int>{3, 2, 1}), data_.shape());
  EXPECT_EQ((std::vector<int>{3}), label_.shape());
  EXPECT_EQ((std::vector<float>{0, 1, 2}), Labels(layer.get()));
  EXPECT_EQ((std::vector<float>{0, -0.f, 1, -1, 2, -2}),
            std::vector<float>(data_.cpu_data(), data_.cpu_data() + 6));
  EXPECT_EQ((std::vector<float>{3, 100, 101}), Labels(layer.get()));
  EXPECT_EQ((std::vector<float>{3, -3, 100, -100, 101, -101}),
            std::vector<float>(data_.cpu_data(), data_.cpu_data() + 6));
  EXPECT_EQ((std::vector<float>{102, 0, 1}), Labels(layer.get()));
}

TEST_F(HDF5LayerTest, RelativePathsFromTheListFolder) {
  WriteRows(dir_ / "rel.h5", 7, 2);
  WriteTextFile(dir_ / "list.txt", "rel.h5\n");
  auto layer = Make(DataParam(dir_ / "list.txt", 2));
  EXPECT_EQ((std::vector<float>{7, 8}), Labels(layer.get()));
}

TEST_F(HDF5LayerTest, ShuffleVisitsEveryRowOncePerPass) {
  WriteRows(dir_ / "a.h5", 0, 5);
  WriteRows(dir_ / "b.h5", 10, 5);
  WriteTextFile(dir_ / "list.txt", dir_ / "a.h5\n" + (dir_ / "b.h5") + "\n");
  auto layer = Make(DataParam(dir_ / "list.txt", 5, true));
  std::multiset<float> seen;
  bool any_out_of_order = false;
  for (int pass = 0; pass < 2; ++pass) {
    const std::vector<float> labels = Labels(layer.get());
    any_out_of_order |= !std::is_sorted(labels.begin(), labels.end());
    seen.insert(labels.begin(), labels.end());
    // Data rows stay paired with their labels.
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(labels[i], data_.cpu_data()[2 * i]);
      EXPECT_EQ(-labels[i], data_.cpu_data()[2 * i + 1]);
    }
  }
  EXPECT_TRUE(any_out_of_order);
  std::multiset<float> expected = {0, 1, 2, 3, 4, 10, 11, 12, 13, 14};
  EXPECT_EQ(expected, seen);
}

TEST_F(HDF5LayerTest, SavedStateResumesTheSameSequence) {
  WriteRows(dir_ / "a.h5", 0, 5);
  WriteRows(dir_ / "b.h5", 10, 4);
  WriteTextFile(dir_ / "list.txt", dir_ / "a.h5\n" + (dir_ / "b.h5") + "\n");
  auto layer = Make(DataParam(dir_ / "list.txt", 3, true));
  Labels(layer.get());
  Labels(layer.get());
  const std::string state =
      dynamic_cast<StatefulLayer*>(layer.get())->SaveState();
  const std::string rng = Crema::rng_state();
  std::vector<std::vector<float>> expected;
  for (int i = 0; i < 4; ++i) expected.push_back(Labels(layer.get()));

  auto resumed = Make(DataParam(dir_ / "list.txt", 3, true));
  dynamic_cast<StatefulLayer*>(resumed.get())->RestoreState(state);
  Crema::set_rng_state(rng);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(expected[i], Labels(resumed.get())) << i;
  EXPECT_THROW(
      dynamic_cast<StatefulLayer*>(resumed.get())->RestoreState("9 0 2 0 1 0"),
      Error);
}

TEST_F(HDF5LayerTest, DataErrorsNameTheProblem) {
  auto expect_error = [&](const LayerParameter& param,
                          const std::string& fragment) {
    try {
      Make(param);
      ADD_FAILURE() << "expected an error containing " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << e.what();
    }
  };
  expect_error(DataParam(dir_ / "missing.txt", 2), "missing.txt");
  WriteTextFile(dir_ / "empty.txt", "\n");
  expect_error(DataParam(dir_ / "empty.txt", 2), "names no HDF5 files");
  WriteTextFile(dir_ / "nofile.txt", dir_ / "nofile.h5\n");
  expect_error(DataParam(dir_ / "nofile.txt", 2), "nofile.h5");
  WriteH5(dir_ / "nolabel.h5", {{"data", {2, 1}, {1, 2}}});
  WriteTextFile(dir_ / "nolabel.txt", dir_ / "nolabel.h5\n");
  expect_error(DataParam(dir_ / "nolabel.txt", 2), "no dataset 'label'");
  WriteH5(dir_ / "rows.h5",
          {{"data", {2, 1}, {1, 2}}, {"label", {3}, {1, 2, 3}}});
  WriteTextFile(dir_ / "rows.txt", dir_ / "rows.h5\n");
  expect_error(DataParam(dir_ / "rows.txt", 2), "rows");
  expect_error(DataParam(dir_ / "rows.txt", 0), "batch_size");
}

TEST_F(HDF5LayerTest, OutputAppendsEveryBatch) {
  const std::string path = dir_ / "out.h5";
  LayerParameter param = ParseText<LayerParameter>(
      "name: 'out' type: 'HDF5Output' bottom: 'data' bottom: 'label' "
      "hdf5_output_param { file_name: '" +
      path + "' }");
  Blob data(2, 3, 1, 2), label(std::vector<int>{2, 1});
  {
    auto layer = LayerRegistry::Create(param);
    layer->SetUp({&data, &label}, {});
    for (int batch = 0; batch < 2; ++batch) {
      for (int i = 0; i < data.count(); ++i)
        data.mutable_cpu_data()[i] = batch * 100 + i;
      for (int i = 0; i < 2; ++i) label.mutable_cpu_data()[i] = batch * 10 + i;
      layer->Forward({&data, &label}, {});
    }
  }
  std::vector<hsize_t> dims;
  const std::vector<float> written = ReadH5(path, "data", &dims);
  EXPECT_EQ((std::vector<hsize_t>{4, 3, 1, 2}), dims);
  ASSERT_EQ(24u, written.size());
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(i, written[i]);
    EXPECT_EQ(100 + i, written[12 + i]);
  }
  EXPECT_EQ((std::vector<float>{0, 1, 10, 11}), ReadH5(path, "label", &dims));
  EXPECT_EQ((std::vector<hsize_t>{4, 1}), dims);

  // What HDF5Output writes, HDF5Data reads.
  WriteTextFile(dir_ / "list.txt", path + "\n");
  auto reader = Make(DataParam(dir_ / "list.txt", 4));
  EXPECT_EQ((std::vector<float>{0, 1, 10, 11}), Labels(reader.get()));

  LayerParameter bad = param;
  bad.mutable_hdf5_output_param()->set_file_name(dir_ / "no/such/dir.h5");
  auto layer = LayerRegistry::Create(bad);
  EXPECT_THROW(layer->SetUp({&data, &label}, {}), Error);
}

}  // namespace
}  // namespace crema
