#include "data/image.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "support/paths.h"

namespace skinscan {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes encode(const cv::Mat& bgr_or_gray, const std::string& ext) {
  Bytes out;
  EXPECT_TRUE(cv::imencode(ext, bgr_or_gray, out));
  return out;
}

std::string code_of(const Bytes& b, const ImageLimits& limits = {}) {
  try {
    decode_rgb(b, limits);
  } catch (const ImageError& e) {
    return e.code();
  }
  return "ok";
}

Bytes sample_jpeg() {
  return read_file_bytes((testing::ham10000_dir() / "images" / "ISIC_0027419.jpg").string(),
                         1 << 20);
}

TEST(Image, DecodesRealJpegAsRgb) {
  const Bytes b = sample_jpeg();
  EXPECT_EQ(sniff_format(b), ImageFormat::kJpeg);
  const ImageHeader h = read_image_header(b);
  EXPECT_EQ(h.width, 200);
  EXPECT_EQ(h.height, 150);
  const cv::Mat rgb = decode_rgb(b);
  EXPECT_EQ(rgb.type(), CV_8UC3);
  EXPECT_EQ(rgb.cols, 200);
  EXPECT_EQ(rgb.rows, 150);
  // OpenCV's own BGR decode, swapped, must equal our RGB output.
  cv::Mat bgr = cv::imdecode(b, cv::IMREAD_COLOR), swapped;
  cv::cvtColor(bgr, swapped, cv::COLOR_BGR2RGB);
  EXPECT_EQ(cv::norm(swapped, rgb, cv::NORM_INF), 0.0);
}

TEST(Image, ChannelOrderIsRgb) {
  cv::Mat bgr(4, 4, CV_8UC3, cv::Scalar(0, 0, 255));  // pure red in OpenCV's BGR
  for (const char* ext : {".png", ".webp"}) {
    const cv::Mat rgb = decode_rgb(encode(bgr, ext));
    const auto px = rgb.at<cv::Vec3b>(1, 1);
    EXPECT_GT(px[0], 240) << ext;
    EXPECT_LT(px[2], 15) << ext;
  }
}

TEST(Image, GrayAndAlphaBecomeThreeChannels) {
  cv::Mat gray(10, 12, CV_8UC1, cv::Scalar(77));
  cv::Mat rgba(10, 12, CV_8UC4, cv::Scalar(10, 20, 30, 128));
  const cv::Mat a = decode_rgb(encode(gray, ".png"));
  const cv::Mat b = decode_rgb(encode(rgba, ".png"));
  EXPECT_EQ(a.type(), CV_8UC3);
  EXPECT_EQ(a.at<cv::Vec3b>(0, 0), cv::Vec3b(77, 77, 77));
  EXPECT_EQ(b.type(), CV_8UC3);
  EXPECT_EQ(b.at<cv::Vec3b>(0, 0), cv::Vec3b(30, 20, 10));
}

TEST(Image, BadInputsGetStableCodes) {
  EXPECT_EQ(code_of({}), "empty");
  const std::string text = "hello, this is not an image at all";
  EXPECT_EQ(code_of(Bytes(text.begin(), text.end())), "unsupported");
  Bytes jpeg = sample_jpeg();
  Bytes cut(jpeg.begin(), jpeg.begin() + static_cast<long>(jpeg.size() / 2));
  EXPECT_EQ(code_of(cut), "truncated");
  Bytes tiny(jpeg.begin(), jpeg.begin() + 40);
  EXPECT_EQ(code_of(tiny), "truncated");
  Bytes png = encode(cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3)), ".png");
  Bytes png_cut(png.begin(), png.end() - 20);
  EXPECT_EQ(code_of(png_cut), "truncated");
  // Well-formed markers but no tables and garbage scan data: the decoder must refuse.
  const Bytes no_tables = {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00,
                           0x08, 0x01, 0x01, 0x11, 0x00, 0xFF, 0xDA, 0x00, 0x08, 0x01,
                           0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0x34, 0x56, 0xFF, 0xD9};
  EXPECT_EQ(code_of(no_tables), "corrupt");
  // A frame header claiming zero width.
  Bytes zero = no_tables;
  zero[9] = 0;
  zero[10] = 0;
  EXPECT_EQ(code_of(zero), "corrupt");
}

TEST(Image, SizeLimitIsCheckedFromTheHeaderBeforeDecoding) {
  // A PNG whose header claims 60000 x 60000 pixels (a decompression bomb) but holds no
  // pixel data: refused as too_large, which proves the header was read first.
  Bytes png = encode(cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3)), ".png");
  for (int i : {16, 20}) {
    png[static_cast<std::size_t>(i)] = 0;
    png[static_cast<std::size_t>(i) + 1] = 0;
    png[static_cast<std::size_t>(i) + 2] = 0xEA;
    png[static_cast<std::size_t>(i) + 3] = 0x60;
  }
  EXPECT_EQ(read_image_header(png).width, 60000);
  EXPECT_EQ(code_of(png), "too_large");
  ImageLimits small;
  small.max_pixels = 100 * 100;
  EXPECT_EQ(code_of(sample_jpeg(), small), "too_large");
  small = {};
  small.max_bytes = 100;
  EXPECT_EQ(code_of(sample_jpeg(), small), "too_large");
}

TEST(Image, ReducedJpegDecodeKeepsAtLeastMinSide) {
  const auto path = testing::shared_data() / "full-size-samples" / "ISIC_0024872.jpg";
  const cv::Mat full = read_image_rgb(path.string());
  EXPECT_EQ(full.cols, 600);
  EXPECT_EQ(full.rows, 450);
  const cv::Mat quarter = read_image_rgb(path.string(), {}, 100);
  EXPECT_EQ(quarter.cols, 150);
  EXPECT_GE(quarter.rows, 100);
}

TEST(Image, ExifOrientationIsApplied) {
  // Insert an APP1 Exif segment with Orientation = 6 ("rotate 90 clockwise") after SOI.
  const Bytes jpeg = sample_jpeg();
  const std::uint8_t exif[] = {0xFF, 0xE1, 0x00, 0x22, 'E',  'x',  'i',  'f',  0,
                               0,    'I',  'I',  0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,  // TIFF header
                               0x01, 0x00,                                            // one entry
                               0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06,
                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};  // no next IFD
  Bytes rotated(jpeg.begin(), jpeg.begin() + 2);
  rotated.insert(rotated.end(), std::begin(exif), std::end(exif));
  rotated.insert(rotated.end(), jpeg.begin() + 2, jpeg.end());
  const cv::Mat upright = decode_rgb(jpeg);
  const cv::Mat turned = decode_rgb(rotated);
  ASSERT_EQ(turned.cols, 150);
  ASSERT_EQ(turned.rows, 200);
  cv::Mat expected;
  cv::rotate(upright, expected, cv::ROTATE_90_CLOCKWISE);
  EXPECT_EQ(cv::norm(turned, expected, cv::NORM_INF), 0.0);
}

TEST(Image, ErrorsNameTheFile) {
  try {
    read_image_rgb("/nonexistent/a.jpg");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("/nonexistent/a.jpg"));
  }
}

}  // namespace
}  // namespace skinscan
