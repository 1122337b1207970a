// Bad model directories are refused with a clear error.
#include "model/classifier_torch.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/paths.h"

namespace fs = std::filesystem;

namespace skinscan {
namespace {

using ::testing::HasSubstr;

std::string load_error(const fs::path& dir) {
  try {
    Classifier::load(dir.string());
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

class ModelDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ModelInfo info;
    info.arch = "resnet-s";
    info.input = arch_info("resnet-s").input;
    info.version = "t";
    torch::manual_seed(3);
    save_model((dir_ / "good").string(), info, make_net(info.arch, info.input));
  }
  fs::path copy(const std::string& name) {
    fs::copy(dir_ / "good", dir_ / name, fs::copy_options::recursive);
    return dir_ / name;
  }
  testing::TempDir dir_{"modeldir"};
};

TEST_F(ModelDirTest, GoodDirectoryLoads) {
  const Classifier c = Classifier::load((dir_ / "good").string());
  EXPECT_EQ(c.info().arch, "resnet-s");
}

TEST_F(ModelDirTest, MissingDirectoryOrFiles) {
  EXPECT_THAT(load_error(dir_ / "nope"), HasSubstr("model directory not found"));
  fs::path d = copy("nojson");
  fs::remove(d / kModelJson);
  EXPECT_THAT(load_error(d), HasSubstr("no model.json"));
  d = copy("noweights");
  fs::remove(d / kWeightsFile);
  EXPECT_THAT(load_error(d), HasSubstr("no weights.pt"));
}

TEST_F(ModelDirTest, TruncatedFiles) {
  fs::path d = copy("trunc-weights");
  const std::string w = testing::read_text(d / kWeightsFile);
  std::ofstream(d / kWeightsFile, std::ios::binary) << w.substr(0, w.size() / 2);
  EXPECT_THAT(load_error(d), HasSubstr("truncated, corrupt or do not match"));
  d = copy("trunc-json");
  const std::string j = testing::read_text(d / kModelJson);
  std::ofstream(d / kModelJson, std::ios::binary) << j.substr(0, j.size() / 2);
  EXPECT_THAT(load_error(d), HasSubstr("not valid JSON"));
}

// A model.json that cannot be written (here its .tmp is a directory) throws and replaces
// nothing: the old model.json and weights.pt stay byte-equal and the model still loads.
TEST_F(ModelDirTest, AFailedSaveLeavesTheOldModelWhole) {
  const fs::path d = copy("unwritable");
  const std::string json = testing::read_text(d / kModelJson);
  const std::string weights = testing::read_text(d / kWeightsFile);
  fs::create_directory(d / (std::string(kModelJson) + ".tmp"));
  ModelInfo info = load_model_info(d.string());
  info.version = "changed";
  torch::manual_seed(4);
  EXPECT_THROW(save_model(d.string(), info, make_net(info.arch, info.input)), ModelError);
  EXPECT_THROW(save_model_info(d.string(), info), ModelError);
  EXPECT_THROW(save_model_json(d.string(), model_info_json(info)), ModelError);
  EXPECT_EQ(testing::read_text(d / kModelJson), json);
  EXPECT_EQ(testing::read_text(d / kWeightsFile), weights);
  EXPECT_FALSE(fs::exists(d / (std::string(kWeightsFile) + ".tmp")));
  EXPECT_EQ(Classifier::load(d.string()).info().version, "t");
  // Writable again: the edit lands whole.
  fs::remove(d / (std::string(kModelJson) + ".tmp"));
  save_model_info(d.string(), info);
  EXPECT_EQ(load_model_info(d.string()).version, "changed");
  EXPECT_FALSE(fs::exists(d / (std::string(kModelJson) + ".tmp")));
}

TEST_F(ModelDirTest, MismatchedArchitectureOrClassOrder) {
  fs::path d = copy("arch");
  auto j = nlohmann::json::parse(testing::read_text(d / kModelJson));
  j["arch"] = "resnet-m";
  std::ofstream(d / kModelJson) << j.dump();
  EXPECT_THAT(load_error(d), HasSubstr("weights do not match resnet-m"));
  j["arch"] = "vgg-99";
  std::ofstream(d / kModelJson) << j.dump();
  EXPECT_THAT(load_error(d), HasSubstr("unknown architecture 'vgg-99'"));
  d = copy("order");
  j = nlohmann::json::parse(testing::read_text(d / kModelJson));
  std::swap(j["classes"][4], j["classes"][5]);
  std::ofstream(d / kModelJson) << j.dump();
  EXPECT_THAT(load_error(d), HasSubstr("class order differs"));
}

// The colour constancy is part of the preprocessing model.json records: it round-trips,
// a model.json without it (written before it existed) means none, and an unknown method
// is refused rather than silently served with other preprocessing.
TEST_F(ModelDirTest, ColourConstancyRoundTripsAndUnknownIsRefused) {
  EXPECT_EQ(Classifier::load((dir_ / "good").string()).info().input.colour, ColourConstancy::kNone);
  fs::path d = copy("sog");
  auto j = nlohmann::json::parse(testing::read_text(d / kModelJson));
  EXPECT_EQ(j["preprocessing"]["colour_constancy"], "none");
  j["preprocessing"]["colour_constancy"] = "shades-of-gray";
  std::ofstream(d / kModelJson) << j.dump();
  EXPECT_EQ(Classifier::load(d.string()).info().input.colour, ColourConstancy::kShadesOfGray);
  j["preprocessing"].erase("colour_constancy");
  std::ofstream(d / kModelJson) << j.dump();
  EXPECT_EQ(Classifier::load(d.string()).info().input.colour, ColourConstancy::kNone);
  j["preprocessing"]["colour_constancy"] = "grey-world";
  std::ofstream(d / kModelJson) << j.dump();
  EXPECT_THAT(load_error(d), HasSubstr("unknown colour constancy 'grey-world'"));
}

}  // namespace
}  // namespace skinscan
