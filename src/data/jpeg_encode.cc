#include "data/jpeg_encode.h"

#include <turbojpeg.h>

#include <memory>
#include <new>
#include <string>

#include "data/error.h"

namespace skinscan {

std::vector<std::uint8_t> encode_jpeg(const cv::Mat& rgb, int quality) {
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    throw Error(ErrorCode::kInvalidArgument, "encode_jpeg needs a non-empty 8-bit RGB image");
  }
  if (quality < 1 || quality > 100) {
    throw Error(ErrorCode::kInvalidArgument, "JPEG quality must be in [1, 100]");
  }
  const std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitCompress(), tjDestroy);
  if (!tj) throw std::bad_alloc();
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  if (tjCompress2(tj.get(), rgb.data, rgb.cols, static_cast<int>(rgb.step), rgb.rows, TJPF_RGB,
                  &buf, &size, TJSAMP_420, quality, 0) != 0) {
    tjFree(buf);
    throw Error(ErrorCode::kInternal,
                std::string("JPEG encoding failed: ") + tjGetErrorStr2(tj.get()));
  }
  std::vector<std::uint8_t> out(buf, buf + size);
  tjFree(buf);
  return out;
}

}  // namespace skinscan
