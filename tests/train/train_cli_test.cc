// `skinscan train` and `skinscan split` through the binary: typed options refuse unknown
// names with the choices, cross-validation folds write a split without test rows, and an
// interrupted training run (`--stop-after`) continues with `--resume` to a complete model, and
// `calibrate --recalibrate` redoes a trained model's validation-only choices on its own split;
// `evaluate --shift` scores the same images under acquisition shifts.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/paths.h"

namespace fs = std::filesystem;

namespace skinscan {
namespace {

using ::testing::HasSubstr;

using testing::Ran;

Ran run(const std::string& args) { return testing::run_skinscan(args); }

// The reference split of the shared HAM10000 copy, written to `out`.
std::string reference_split(const fs::path& out) {
  const std::string data = testing::ham10000_dir().string();
  const std::string split = out.string();
  const Ran r =
      run("split --data " + data + " --from " + data + "/reference_split.csv --out " + split);
  EXPECT_EQ(r.status, 0) << r.output;
  return split;
}

TEST(TrainCli, UnknownOptionNamesAreRefusedWithTheChoices) {
  testing::TempDir dir("train-cli-names");
  const std::string data = testing::ham10000_dir().string();
  const std::string out = (dir / "m").string();
  // Each refused option, and what its message must say.
  const std::vector<std::pair<std::string, std::string>> refusals = {
      {"--balance bogus",
       "'bogus' is not one of logit-adjust, none, oversample, sqrt-oversample, weighted"},
      {"--colour-constancy retinex",
       "'retinex' is not one of none, shades-of-gray, shades-of-gray-exposure"},
      {"--optimizer lion", "'lion' is not one of adamw, sgd"},
      {"--schedule step", "'step' is not one of cosine, onecycle"},
      {"--precision fp64", "'fp64' is not one of bf16, fp32"},
      {"--epoch-rule first", "'first' is not one of average-last, best-balanced, last"},
      {"--mix blend", "'blend' is not one of cutmix, mixup, none"},
      {"--distill-weight 0.5", "--distill-weight requires --teacher"},
      {"--teacher " + (dir / "none").string(), "Directory does not exist"},
  };
  for (const auto& [flags, message] : refusals) {
    const Ran r = run("train --data " + data + " --out " + out + " " + flags);
    EXPECT_NE(r.status, 0) << flags;
    EXPECT_THAT(r.output, HasSubstr(message)) << flags;
  }
  EXPECT_FALSE(fs::exists(out));
}

TEST(TrainCli, CrossValidationFoldExcludesTestRows) {
  testing::TempDir dir("train-cli-cv");
  const std::string data = testing::ham10000_dir().string();
  const fs::path fold = dir / "fold2.json";
  Ran r = run("split --data " + data + " --from " + data +
              "/reference_split.csv --cv-fold 2/5 --out " + fold.string());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(std::ifstream(fold));
  std::map<std::string, int> parts;
  for (const auto& [id, part] : j.at("images").items()) ++parts[part.get<std::string>()];
  EXPECT_EQ(parts["excluded"], 1006);  // the reference split's test rows
  EXPECT_EQ(parts.count("test"), 0u);
  EXPECT_GT(parts["val"], 1500);
  EXPECT_LT(parts["val"], 2100);
  r = run("split --data " + data + " --from " + data + "/reference_split.csv --cv-fold 6/5 --out " +
          (dir / "bad.json").string());
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.output, HasSubstr("--cv-fold must look like 2/5"));
  EXPECT_FALSE(fs::exists(dir / "bad.json"));
}

TEST(TrainCli, StoppedRunResumesToACompleteModel) {
  testing::TempDir dir("train-cli-resume");
  const std::string data = testing::ham10000_dir().string();
  const std::string split = reference_split(dir / "split.json");
  const fs::path out = dir / "m";
  const std::string train = "train --data " + data + " --split " + split + " --out " +
                            out.string() +
                            " --arch resnet-s --input-size 48x36 --epochs 2 --limit 160 "
                            "--balance none --batch-size 32 --threads 1 --version cli";
  // Nothing to resume yet: a clear error, nothing written.
  Ran r = run(train + " --resume");
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.output, HasSubstr("--resume: no checkpoint"));
  EXPECT_FALSE(fs::exists(out / "model.json"));

  r = run(train + " --stop-after 1");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("stopped after epoch 1"));
  EXPECT_TRUE(fs::exists(out / "checkpoint" / "state.json"));
  EXPECT_FALSE(fs::exists(out / "model.json"));

  r = run(train + " --resume");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(fs::exists(out / "model.json"));
  EXPECT_FALSE(fs::exists(out / "checkpoint"));
  const auto m = nlohmann::json::parse(std::ifstream(out / "model.json"));
  EXPECT_EQ(m["training"]["resumed_after_epoch"], 1);
  EXPECT_EQ(m["training"]["balance"], "none");
  // A naturally sampled net's prior choice lies between its balanced point (all of the log
  // prior taken off) and its logits as they are.
  const double a = m["training"]["prior_choice_on_validation"]["adjustment"].get<double>();
  EXPECT_GE(a, -1.0);
  EXPECT_LE(a, 0.0);
  EXPECT_DOUBLE_EQ(m["calibration"]["prior_adjustment"].get<double>(), a);

  // Recalibrating searches from the same balanced point: the choice comes back, not one of
  // [0, 1] (the ensemble's and the oversampled nets' range).
  auto tampered = m;
  tampered["calibration"]["prior_adjustment"] = 0.5;
  std::ofstream(out / "model.json") << tampered.dump(2) << "\n";
  r = run("calibrate --model " + out.string() + " --data " + data + " --split " + split +
          " --recalibrate");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto again = nlohmann::json::parse(std::ifstream(out / "model.json"));
  EXPECT_DOUBLE_EQ(again["calibration"]["prior_adjustment"].get<double>(), a);

  // A record naming a sampler SkinScan does not know is refused, the model left as it was.
  tampered["training"]["balance"] = "undersample";
  std::ofstream(out / "model.json") << tampered.dump(2) << "\n";
  r = run("calibrate --model " + out.string() + " --data " + data + " --split " + split +
          " --recalibrate");
  EXPECT_EQ(r.status, 64);
  EXPECT_THAT(r.output, HasSubstr("unknown training.balance \"undersample\""));
  EXPECT_EQ(nlohmann::json::parse(std::ifstream(out / "model.json")), tampered);
}

// `calibrate --recalibrate` redoes a trained model's validation-only choices on the split
// it was trained on: with today's rules unchanged it restores exactly the calibration its
// training chose (here after the model.json was tampered with); the weights are untouched;
// another split (whose validation rows the model may have trained on) is refused and leaves
// the model as it was; without the flag a trained model is refused as before.
TEST(TrainCli, RecalibrateRedoesTheChoicesOnTheModelsOwnSplit) {
  testing::TempDir dir("train-cli-recalibrate");
  const std::string data = testing::ham10000_dir().string();
  const std::string split = reference_split(dir / "split.json");
  const fs::path out = dir / "m";
  Ran r = run("train --data " + data + " --split " + split + " --out " + out.string() +
              " --arch resnet-s --input-size 48x36 --epochs 1 --limit 160 --batch-size 32 "
              "--threads 1 --version recal");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto read = [](const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  const auto trained = nlohmann::json::parse(read(out / "model.json"));
  const std::string weights = read(out / "weights.pt");

  auto tampered = trained;
  tampered["calibration"]["temperature"] = 5.0;
  tampered["calibration"]["prior_adjustment"] = 0.5;
  std::ofstream(out / "model.json") << tampered.dump(2) << "\n";
  const std::string calibrate =
      "calibrate --model " + out.string() + " --data " + data + " --split ";

  r = run(calibrate + split);
  EXPECT_EQ(r.status, 64);
  EXPECT_THAT(r.output, HasSubstr("calibrate is for imported models"));

  const std::string fold = (dir / "fold1.json").string();
  ASSERT_EQ(run("split --data " + data + " --from " + data +
                "/reference_split.csv --cv-fold 1/5 --out " + fold)
                .status,
            0);
  r = run(calibrate + fold + " --recalibrate");
  EXPECT_EQ(r.status, 64);
  EXPECT_THAT(r.output, HasSubstr("its choices may only use that split's validation rows"));
  EXPECT_EQ(nlohmann::json::parse(read(out / "model.json")), tampered);

  r = run(calibrate + split + " --recalibrate");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("recalibrated"));
  const auto again = nlohmann::json::parse(read(out / "model.json"));
  // Inference here may use more threads than training did: equal up to float rounding.
  EXPECT_NEAR(again["calibration"]["temperature"].get<double>(),
              trained["calibration"]["temperature"].get<double>(), 1e-3);
  EXPECT_DOUBLE_EQ(again["calibration"]["prior_adjustment"].get<double>(),
                   trained["calibration"]["prior_adjustment"].get<double>());
  for (const char* part : {"validation", "test"}) {
    for (const char* m : {"accuracy", "balanced_accuracy", "ece"}) {
      EXPECT_NEAR(again["metrics"][part][m].get<double>(),
                  trained["metrics"][part][m].get<double>(), 2e-3)
          << part << " " << m;
    }
  }
  EXPECT_EQ(again["training"]["recalibrated"], true);
  EXPECT_EQ(again["training"]["best_epoch"], trained["training"]["best_epoch"]);
  EXPECT_EQ(read(out / "weights.pt"), weights);
}

TEST(TrainCli, EvaluateUnderShiftScoresEachShiftWithItsSafetyFigures) {
  testing::TempDir dir("train-cli-shift");
  const fs::path ham = testing::ham10000_dir();
  // The first 40 rows of the metadata (every image of a lesion stays with it).
  std::ifstream meta(ham / "HAM10000_metadata.csv");
  std::string line;
  std::getline(meta, line);
  std::string labels = "image_id,dx\n";
  for (int i = 0; i < 40 && std::getline(meta, line); ++i) {
    const std::size_t a = line.find(','), b = line.find(',', a + 1), c = line.find(',', b + 1);
    labels += line.substr(a + 1, b - a - 1) + "," + line.substr(b + 1, c - b - 1) + "\n";
  }
  testing::write_text(dir / "labels.csv", labels);
  const std::string model = (testing::source_dir() / "models" / "default").string();
  const std::string base = "evaluate --model " + model + " --images " + (ham / "images").string() +
                           " --labels " + (dir / "labels.csv").string() + " --bootstrap 0";

  // Output: the tables (stderr, no braces), then the JSON (stdout).
  const Ran r = run(base + " --shift clean,cool --decisions");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  ASSERT_EQ(j["shifts"].size(), 2u);
  EXPECT_EQ(j["shifts"][0]["shift"], "clean");
  EXPECT_EQ(j["shifts"][1]["shift"], "cool");
  EXPECT_EQ(j["shifts"][0]["n"], 40);
  EXPECT_TRUE(j["shifts"][1].contains("decisions"));
  EXPECT_TRUE(j["shifts"][1]["outside_strong_augment"].get<bool>());
  // "clean" is the plain evaluation of the same images.
  const Ran plain = run(base);
  ASSERT_EQ(plain.status, 0) << plain.output;
  const auto p = nlohmann::json::parse(plain.output.substr(plain.output.find('{')));
  EXPECT_DOUBLE_EQ(j["shifts"][0]["accuracy"].get<double>(), p["accuracy"].get<double>());
  EXPECT_EQ(j["shifts"][0]["decisions"], p["decisions"]);
  const std::string err = r.output.substr(0, r.output.find('{'));
  EXPECT_THAT(err, HasSubstr("| cool | "));
  EXPECT_THAT(err, HasSubstr("mean of the 1 shifts outside --strong-augment"));
  EXPECT_THAT(err, HasSubstr("malignant worded 'No disease'"));

  const Ran unknown = run(base + " --shift clean,sepia");
  EXPECT_NE(unknown.status, 0);
  EXPECT_THAT(unknown.output, HasSubstr("unknown acquisition shift 'sepia'"));
  const Ran tta = run(base + " --shift warm --tta 2");
  EXPECT_NE(tta.status, 0);
  EXPECT_THAT(tta.output, HasSubstr("--shift scores one view"));
}

}  // namespace
}  // namespace skinscan
