#include "train/masks.h"

#include <atomic>
#include <filesystem>
#include <mutex>

#include <opencv2/imgproc.hpp>

#include "data/error.h"
#include "data/image.h"
#include "data/parallel.h"

namespace skinscan {

std::string mask_path(const Dataset& ds, std::size_t index) {
  const std::filesystem::path root(ds.source);
  return (root / "masks" / (ds.samples[index].image_id + "_segmentation.png")).string();
}

std::vector<cv::Mat> load_masks(const Dataset& ds, const std::vector<std::size_t>& indices,
                                const InputSpec& spec) {
  if (ds.layout != Layout::kFlat) {
    throw DataError("lesion masks need the flat HAM10000 layout (DIR/masks/); " +
                    std::string(layout_name(ds.layout)) + " datasets have none");
  }
  std::vector<cv::Mat> out(indices.size());
  std::atomic<bool> failed{false};
  std::string first_error;
  std::mutex error_lock;
  parallel_for(indices.size(), [&](std::size_t k) {
    if (failed) return;
    const std::string path = mask_path(ds, indices[k]);
    try {
      const cv::Mat rgb = read_image_rgb(path);
      cv::Mat grey;
      cv::extractChannel(rgb, grey, 0);
      cv::resize(grey, out[k], cv::Size(spec.width, spec.height), 0, 0, cv::INTER_AREA);
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> hold(error_lock);
      if (!failed.exchange(true)) first_error = path + ": " + e.what();
    }
  });
  if (failed) throw DataError("cannot read lesion mask " + first_error);
  return out;
}

}  // namespace skinscan
