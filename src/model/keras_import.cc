#include "model/keras_import.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include <openssl/evp.h>

#include "data/classes.h"
#include "data/error.h"
#include "model/hdf5_file.h"
#include "model/model_dir.h"

namespace fs = std::filesystem;

namespace skinscan {

namespace {

// One layer of the seed architecture: its Keras kind and its weights' shapes (kernel, bias).
struct SeedLayer {
  const char* kind;
  std::vector<std::uint64_t> kernel, bias;  // empty: a layer without weights
  const char* target;                       // seed-cnn module receiving the weights
};

const std::vector<SeedLayer>& seed_layers() {
  static const std::vector<SeedLayer> layers = {
      {"conv2d", {3, 3, 3, 16}, {16}, "c1"},  {"conv2d", {3, 3, 16, 32}, {32}, "c2"},
      {"max_pooling2d", {}, {}, nullptr},     {"conv2d", {3, 3, 32, 32}, {32}, "c3"},
      {"conv2d", {3, 3, 32, 64}, {64}, "c4"}, {"max_pooling2d", {}, {}, nullptr},
      {"flatten", {}, {}, nullptr},           {"dense", {2304, 64}, {64}, "d1"},
      {"dense", {64, 32}, {32}, "d2"},        {"dense", {32, 7}, {7}, "d3"},
  };
  return layers;
}

constexpr long kPooledSide = 6;  // the map before Flatten is 6x6x64 (NHWC in Keras)
constexpr long kPooledChannels = 64;

std::string shape_text(const std::vector<std::uint64_t>& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + ")";
}

// Keras names layers by kind, with "_N" from the second of a kind on: conv2d, conv2d_1, ...
bool is_layer_of_kind(const std::string& name, const std::string& kind) {
  if (name == kind) return true;
  if (name.size() < kind.size() + 2 || name.compare(0, kind.size() + 1, kind + "_") != 0)
    return false;
  return std::all_of(name.begin() + static_cast<long>(kind.size()) + 1, name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

torch::Tensor as_tensor(const H5Floats& f) {
  std::vector<long> shape(f.shape.begin(), f.shape.end());
  return torch::from_blob(const_cast<float*>(f.values.data()), shape, torch::kFloat32).clone();
}

// Keras layout -> LibTorch layout for the module `target`.
torch::Tensor convert_kernel(const std::string& target, const torch::Tensor& k) {
  if (target[0] == 'c') return k.permute({3, 2, 0, 1}).contiguous();  // HWIO -> OIHW
  if (target == "d1") {
    // Row (h*6 + w)*64 + c of the NHWC flatten feeds column c*36 + h*6 + w of ours.
    return k.view({kPooledSide, kPooledSide, kPooledChannels, -1})
        .permute({3, 2, 0, 1})
        .reshape({k.size(1), -1})
        .contiguous();
  }
  return k.t().contiguous();  // Dense [in,out] -> Linear [out,in]
}

// Seed output row of each SkinScan class.
torch::Tensor seed_rows_in_skinscan_order() {
  std::vector<long> rows(kNumClasses);
  for (int label = 0; label < static_cast<int>(kNumClasses); ++label)
    rows[static_cast<std::size_t>(*class_from_hmnist_label(label))] = label;
  return torch::tensor(rows, torch::kLong);
}

}  // namespace

InputSpec seed_input(const std::string& recipe) {
  InputSpec s;
  s.width = 28;
  s.height = 28;
  if (recipe == "seed-trained") {
    s.recipe = Recipe::kSeedTrained;
    // to_tensor computes (x/255 - mean) / std: the same as (x - M) / S with M/255 and S/255.
    s.mean.fill(static_cast<float>(kSeedPixelMean / 255.0));
    s.std.fill(static_cast<float>(kSeedPixelStd / 255.0));
  } else if (recipe == "seed-served") {
    s.recipe = Recipe::kSeedServed;
    s.bgr = true;  // raw 0-255: (x/255 - 0) / (1/255)
    s.mean.fill(0.0f);
    s.std.fill(1.0f / 255.0f);
  } else {
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "--preprocess must be seed-trained or seed-served, not '" + recipe + "'");
  }
  return s;
}

PixelStats seed_pixel_stats(const std::vector<cv::Mat>& images, const std::vector<int>& labels) {
  if (images.size() != labels.size() || images.empty())
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "seed_pixel_stats needs one label per image");
  std::vector<double> sum(kNumClasses), sum_sq(kNumClasses), count(kNumClasses);
  for (std::size_t i = 0; i < images.size(); ++i) {
    const auto c = static_cast<std::size_t>(labels[i]);
    const cv::Mat& m = images[i];
    for (int y = 0; y < m.rows; ++y) {
      const std::uint8_t* row = m.ptr<std::uint8_t>(y);
      for (int x = 0; x < m.cols * m.channels(); ++x) {
        sum[c] += row[x];
        sum_sq[c] += static_cast<double>(row[x]) * row[x];
      }
    }
    count[c] += static_cast<double>(m.total() * m.channels());
  }
  double mean = 0, sq = 0, classes = 0;
  for (std::size_t c = 0; c < kNumClasses; ++c) {
    if (count[c] == 0) continue;
    mean += sum[c] / count[c];
    sq += sum_sq[c] / count[c];
    classes += 1;
  }
  mean /= classes;
  sq /= classes;
  return {mean, std::sqrt(sq - mean * mean)};
}

std::string file_sha256(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::kIo, path + ": cannot be read");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw Error(ErrorCode::kInternal, "SHA-256 unavailable");
  std::vector<char> buf(1 << 16);
  while (f.read(buf.data(), static_cast<std::streamsize>(buf.size())) || f.gcount() > 0) {
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(f.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

Net read_keras_seed_cnn(const std::string& h5_path) {
  const Hdf5File file(h5_path);
  // Another network is an incompatible model; broken structure is a corrupt file.
  auto incompatible = [&](const std::string& what) -> ModelError {
    return ModelError(h5_path + ": " + what);
  };
  auto corrupt = [&](const std::string& what) {
    return Error(ErrorCode::kCorrupt, h5_path + ": " + what);
  };
  // model.save() nests the weights under "model_weights"; save_weights() puts them at the root.
  const std::string root = file.has_group("/model_weights") ? "/model_weights" : "/";
  if (!file.has_attribute(root, "layer_names")) {
    throw Error(ErrorCode::kUnsupported,
                h5_path + ": not a Keras weights file (no layer_names attribute on " + root + ")");
  }
  const std::vector<std::string> names = file.string_attribute(root, "layer_names");
  const auto& expected = seed_layers();

  Net net = make_net("seed-cnn", seed_input("seed-trained"));
  auto params = net->named_parameters();
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < std::max(names.size(), expected.size()); ++i) {
    const std::string where = "layer " + std::to_string(i + 1);
    if (i >= names.size())
      throw incompatible("not the seed architecture: " + where + " should be a " +
                         expected[i].kind + " layer, the file ends after " +
                         std::to_string(names.size()) + " layers");
    if (i >= expected.size())
      throw incompatible("not the seed architecture: extra " + where + " '" + names[i] +
                         "' after the seed's " + std::to_string(expected.size()) + " layers");
    const SeedLayer& want = expected[i];
    const std::string& name = names[i];
    if (!is_layer_of_kind(name, want.kind))
      throw incompatible("not the seed architecture: " + where + " is '" + name + "', expected a " +
                         want.kind + " layer");
    const std::string group = (root == "/" ? "" : root) + "/" + name;
    const std::vector<std::string> weights = file.string_attribute(group, "weight_names");
    const std::size_t want_count = want.kernel.empty() ? 0 : 2;
    if (weights.size() != want_count)
      throw incompatible("not the seed architecture: " + where + " '" + name + "' has " +
                         std::to_string(weights.size()) + " weight arrays, expected " +
                         std::to_string(want_count));
    if (want_count == 0) continue;
    if (!ends_with(weights[0], "kernel:0") || !ends_with(weights[1], "bias:0"))
      throw corrupt(where + " '" + name + "': expected weights kernel:0 and bias:0, found " +
                    weights[0] + " and " + weights[1]);
    const H5Floats kernel = file.floats(group + "/" + weights[0]);
    const H5Floats bias = file.floats(group + "/" + weights[1]);
    if (kernel.shape != want.kernel || bias.shape != want.bias)
      throw incompatible("not the seed architecture: " + where + " '" + name + "' has kernel " +
                         shape_text(kernel.shape) + " and bias " + shape_text(bias.shape) +
                         ", expected " + shape_text(want.kernel) + " and " + shape_text(want.bias));
    torch::Tensor k = as_tensor(kernel), b = as_tensor(bias);
    if (!torch::isfinite(k).all().item<bool>() || !torch::isfinite(b).all().item<bool>())
      throw corrupt(where + " '" + name + "' holds non-finite weights (corrupt file)");
    const std::string target = want.target;
    k = convert_kernel(target, k);
    if (target == "d3") {
      const torch::Tensor rows = seed_rows_in_skinscan_order();
      k = k.index_select(0, rows);
      b = b.index_select(0, rows);
    }
    params[target + ".weight"].copy_(k);
    params[target + ".bias"].copy_(b);
  }
  net->eval();
  return net;
}

ModelInfo import_keras(const std::string& h5_path, const std::string& out_dir,
                       const std::string& recipe) {
  ModelInfo info;
  info.input = seed_input(recipe);  // refuses an unknown recipe before anything else
  std::error_code ec;
  if (fs::exists(out_dir, ec))
    throw Error(ErrorCode::kInvalidArgument,
                out_dir + " already exists: choose a new --out (nothing was written)");
  const Net net = read_keras_seed_cnn(h5_path);
  const std::string sha = file_sha256(h5_path);

  info.name = "seed-app-keras";
  info.arch = "seed-cnn";
  info.version = "keras-" + sha.substr(0, 12) + "-" + recipe;
  const char* about =
      recipe == "seed-trained"
          ? "RGB, (x - mean) / std with one mean and std over all pixel values, as the seed "
            "notebook trained the model; mean and std measured on the reference split's "
            "non-test rows at 28x28, each class weighted equally (the expectation of the "
            "notebook's oversampling)"
          : "BGR raw 0-255, what the seed app served to the model (cv2.imread output, never "
            "converted or standardised): a bug of the seed app, kept for comparison only; do "
            "not screen with it";
  nlohmann::ordered_json seed_labels = nlohmann::ordered_json::array();
  for (int label = 0; label < static_cast<int>(kNumClasses); ++label)
    seed_labels.push_back(kClasses[static_cast<std::size_t>(*class_from_hmnist_label(label))].code);
  info.extra["import"] = {
      {"source",
       {{"format", "Keras HDF5 (seed notebook CNN)"},
        {"file", fs::path(h5_path).filename().string()},
        {"sha256", sha},
        {"bytes", fs::file_size(h5_path)}}},
      {"preprocess", recipe},
      {"preprocess_about", about},
      {"pixel_mean", recipe == "seed-trained" ? kSeedPixelMean : 0.0},
      {"pixel_std", recipe == "seed-trained" ? kSeedPixelStd : 1.0},
      {"source_class_order", seed_labels},
      {"conversion",
       "conv kernels HWIO -> OIHW; first Dense rows NHWC -> NCHW flatten order; Dense [in,out] "
       "-> [out,in]; output rows reordered to SkinScan's class order"},
      {"calibration", "none (temperature 1) until `skinscan calibrate` fits it on validation"}};

  // Build beside the destination, rename when complete: never a half-written model.
  fs::path dest = fs::path(out_dir).lexically_normal();
  if (!dest.has_filename()) dest = dest.parent_path();  // "dir/" names "dir"
  const fs::path tmp =
      dest.parent_path() / (dest.filename().string() + ".importing-" + std::to_string(::getpid()));
  try {
    fs::remove_all(tmp);
    save_model(tmp.string(), info, net);
    fs::rename(tmp, dest);
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  return info;
}

}  // namespace skinscan
