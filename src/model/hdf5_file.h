// Read-only access to the few HDF5 objects a Keras weights file holds (groups, string-array
// attributes, float datasets), on Debian's libhdf5 C API. Not thread-safe (serial libhdf5):
// one reader at a time, on one thread.
//
// Contract: every failure throws skinscan::Error naming the file and the object, code
// kNotFound (no file), kIo (unreadable), kUnsupported (not HDF5) or kCorrupt (truncated,
// unreadable metadata, missing object, wrong type); libhdf5's own error stack is never
// printed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/error.h"

namespace skinscan {

// An owned HDF5 identifier (file, group, dataset, attribute, type or space), closed once.
class H5Id {
 public:
  H5Id() = default;
  H5Id(std::int64_t id, int (*close)(std::int64_t)) : id_(id), close_(close) {}
  ~H5Id() { reset(); }
  H5Id(H5Id&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  H5Id& operator=(H5Id&& o) noexcept;
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  std::int64_t get() const { return id_; }

 private:
  void reset();
  std::int64_t id_ = -1;
  int (*close_)(std::int64_t) = nullptr;
};

struct H5Floats {
  std::vector<std::uint64_t> shape;
  std::vector<float> values;  // row-major, converted to float by libhdf5
};

class Hdf5File {
 public:
  // Opens `path` read-only; refuses a file that is missing, not HDF5, or truncated.
  explicit Hdf5File(const std::string& path);

  const std::string& path() const { return path_; }
  // Whether `group_path` (absolute, e.g. "/model_weights") names an existing group.
  bool has_group(const std::string& group_path) const;
  // A string-array (or string) attribute of an object; an empty non-string array (how Keras
  // writes a layer without weights) reads as no strings.
  std::vector<std::string> string_attribute(const std::string& object_path,
                                            const std::string& name) const;
  // Whether the object has the attribute.
  bool has_attribute(const std::string& object_path, const std::string& name) const;
  // A floating-point dataset, whole.
  H5Floats floats(const std::string& dataset_path) const;

 private:
  [[noreturn]] void fail(const std::string& what, ErrorCode code = ErrorCode::kCorrupt) const;
  std::string path_;
  H5Id file_;
};

}  // namespace skinscan
