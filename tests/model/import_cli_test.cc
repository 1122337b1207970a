// The seed app's model through the skinscan binary, as a clinic would bring it: import,
// calibrate on the reference split's validation part, then predict, evaluate and serve.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "support/paths.h"

namespace fs = std::filesystem;

namespace skinscan {
namespace {

using ::testing::HasSubstr;

using testing::Ran;

Ran run(const std::string& args) { return testing::run_skinscan(args); }

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(std::ifstream(p)); }

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(ImportCli, ImportCalibrateThenPredictEvaluateAndServe) {
  testing::TempDir dir("import-cli");
  const std::string data = testing::ham10000_dir().string();
  const std::string h5 =
      (testing::shared_data().parent_path() / "seed-app" / "best_model.h5").string();
  const std::string split = (dir / "split.json").string();
  const std::string model = (dir / "seed").string();
  ASSERT_EQ(run("split --data " + data + " --from " + data + "/reference_split.csv --out " + split)
                .status,
            0);

  // A file that is not HDF5 is refused and leaves nothing.
  testing::write_text(dir / "notes.h5", "not a model\n");
  const Ran bad = run("import keras " + (dir / "notes.h5").string() + " --out " + model);
  EXPECT_EQ(bad.status, 65);  // EX_DATAERR
  EXPECT_THAT(bad.output, HasSubstr("not an HDF5 file"));
  EXPECT_FALSE(fs::exists(model));

  // A file other than the one the clinic expects is refused.
  const Ran other =
      run("import keras " + h5 + " --out " + model + " --sha256 " + std::string(64, '0'));
  EXPECT_EQ(other.status, 65);
  EXPECT_THAT(other.output, HasSubstr("not the expected 0000"));
  EXPECT_FALSE(fs::exists(model));

  const Ran imp = run("import keras " + h5 + " --out " + model + " --preprocess seed-trained " +
                      "--sha256 061d9221a06a20149aa7bb2d4b81088e3aa07ae96ac7f4ddc58b12b76fd9fa33");
  ASSERT_EQ(imp.status, 0) << imp.output;
  EXPECT_THAT(imp.output,
              HasSubstr("sha256 061d9221a06a20149aa7bb2d4b81088e3aa07ae96ac7f4ddc58b12b7"));

  const Ran cal = run("calibrate --model " + model + " --data " + data + " --split " + split);
  ASSERT_EQ(cal.status, 0) << cal.output;
  const auto info = read_json(fs::path(model) / "model.json");
  EXPECT_EQ(info["preprocessing"]["recipe"], "seed-trained");
  EXPECT_EQ(info["import"]["source"]["sha256"],
            "061d9221a06a20149aa7bb2d4b81088e3aa07ae96ac7f4ddc58b12b76fd9fa33");
  EXPECT_NE(info["calibration"]["temperature"].get<double>(), 1.0);
  EXPECT_EQ(info["data"]["val_images"], 901);
  EXPECT_GT(info["lesion_detector"]["threshold"].get<double>(), 0);
  EXPECT_TRUE(fs::exists(fs::path(model) / "lesion_detector.pt"));
  // The seed saw every HAM10000 image in training: high figures, but real ones.
  EXPECT_GT(info["metrics"]["test"]["accuracy"].get<double>(), 0.9);

  // A SkinScan-trained model keeps the calibration its training chose.
  const Ran refused =
      run("calibrate --model " + (testing::source_dir() / "models/default").string() + " --data " +
          data + " --split " + split);
  EXPECT_EQ(refused.status, 64);  // EX_USAGE
  EXPECT_THAT(refused.output, HasSubstr("calibrate is for imported models"));

  const fs::path lesion = testing::shared_data() / "full-size-samples" / "ISIC_0024872.jpg";
  const Ran pred = run("predict --model " + model + " " + lesion.string());
  ASSERT_EQ(pred.status, 0) << pred.output;
  const auto p = nlohmann::json::parse(pred.output);
  EXPECT_EQ(p["label"], "nv");  // HAM10000's diagnosis of ISIC_0024872
  EXPECT_EQ(p["decision"], "diagnosis");
  const Ran chart = run("predict --model " + model + " " +
                        (testing::shared_data() / "not-lesions" / "chart-pie.jpeg").string());
  EXPECT_EQ(nlohmann::json::parse(chart.output)["decision"], "not_a_lesion");

  const Ran ev =
      run("evaluate --model " + model + " --data " + data + " --split " + split + " --bootstrap 0");
  ASSERT_EQ(ev.status, 0) << ev.output;
  const auto e = nlohmann::json::parse(ev.output.substr(ev.output.find('{')));
  EXPECT_EQ(e["n"], 1006);
  EXPECT_NEAR(e["accuracy"].get<double>(), info["metrics"]["test"]["accuracy"].get<double>(), 1e-9);

  // serve --model: the web app screens with the imported model.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string bin = (testing::binary_dir() / "skinscan").string();
  const std::string db = (dir / "s.db").string(), files = (dir / "files").string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl(bin.c_str(), bin.c_str(), "serve", "--model", model.c_str(), "--port", "0", "--db",
            db.c_str(), "--data-dir", files.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  FILE* out = ::fdopen(fds[0], "r");
  char line[256] = {};
  ASSERT_NE(std::fgets(line, sizeof line, out), nullptr);
  const std::string url = line;
  const std::string prefix = "SkinScan listening on http://127.0.0.1:";
  ASSERT_EQ(url.rfind(prefix, 0), 0u) << url;
  httplib::Client c("127.0.0.1", std::stoi(url.substr(prefix.size())));
  c.set_read_timeout(120, 0);
  const auto m = c.Get("/api/v1/model");
  ASSERT_TRUE(m);
  EXPECT_EQ(nlohmann::json::parse(m->body)["version"], "keras-061d9221a06a-seed-trained");
  httplib::MultipartFormDataItems form = {
      {"image", read_bytes(lesion), "ISIC_0024872.jpg", "image/jpeg"}};
  const auto r = c.Post("/api/v1/classify", form);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  const auto result = nlohmann::json::parse(r->body)["result"];
  EXPECT_EQ(result["label"], "nv") << r->body;
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  std::fclose(out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace skinscan
