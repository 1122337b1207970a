#include "model/hdf5_file.h"

#include <filesystem>
#include <fstream>

#include <hdf5.h>

namespace skinscan {

static_assert(sizeof(hid_t) == sizeof(std::int64_t), "H5Id stores hid_t as int64");

H5Id& H5Id::operator=(H5Id&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    close_ = o.close_;
    o.id_ = -1;
  }
  return *this;
}

void H5Id::reset() {
  if (id_ >= 0 && close_ != nullptr) close_(id_);
  id_ = -1;
}

namespace {

// libhdf5 prints its error stack to stderr by default; our messages say what went wrong.
void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

H5Id open_object(hid_t file, const std::string& path) {
  return H5Id(H5Oopen(file, path.c_str(), H5P_DEFAULT), H5Oclose);
}

}  // namespace

void Hdf5File::fail(const std::string& what, ErrorCode code) const {
  throw Error(code, path_ + ": " + what);
}

Hdf5File::Hdf5File(const std::string& path) : path_(path) {
  silence_hdf5();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail("no such file", ErrorCode::kNotFound);
  if (!std::ifstream(path, std::ios::binary)) fail("cannot be read", ErrorCode::kIo);
  if (H5Fis_hdf5(path.c_str()) <= 0)
    fail("not an HDF5 file (no HDF5 signature)", ErrorCode::kUnsupported);
  file_ = H5Id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (file_.get() < 0) fail("HDF5 file cannot be opened: truncated or corrupt");
}

bool Hdf5File::has_group(const std::string& group_path) const {
  const H5Id obj = open_object(file_.get(), group_path);
  H5O_info_t info;
  return obj.get() >= 0 && H5Oget_info2(obj.get(), &info, H5O_INFO_BASIC) >= 0 &&
         info.type == H5O_TYPE_GROUP;
}

bool Hdf5File::has_attribute(const std::string& object_path, const std::string& name) const {
  const H5Id obj = open_object(file_.get(), object_path);
  return obj.get() >= 0 && H5Aexists(obj.get(), name.c_str()) > 0;
}

std::vector<std::string> Hdf5File::string_attribute(const std::string& object_path,
                                                    const std::string& name) const {
  const std::string where = "attribute " + name + " of " + object_path;
  const H5Id obj = open_object(file_.get(), object_path);
  if (obj.get() < 0) fail("no object " + object_path);
  if (H5Aexists(obj.get(), name.c_str()) <= 0) fail("no " + where);
  const H5Id attr(H5Aopen(obj.get(), name.c_str(), H5P_DEFAULT), H5Aclose);
  if (attr.get() < 0) fail("cannot open " + where);
  const H5Id type(H5Aget_type(attr.get()), H5Tclose);
  const H5Id space(H5Aget_space(attr.get()), H5Sclose);
  if (type.get() < 0 || space.get() < 0) fail("cannot read " + where);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0 || n > 100000) fail("unreadable size of " + where);
  std::vector<std::string> out;
  if (H5Tget_class(type.get()) != H5T_STRING) {
    if (n == 0) return out;
    fail(where + " is not a list of strings");
  }
  const auto count = static_cast<std::size_t>(n);
  if (H5Tis_variable_str(type.get()) > 0) {
    const H5Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    std::vector<char*> ptrs(count, nullptr);
    if (H5Aread(attr.get(), mem.get(), ptrs.data()) < 0) fail("cannot read " + where);
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
    return out;
  }
  const std::size_t size = H5Tget_size(type.get());
  if (size == 0 || size > 4096) fail("unreadable string size in " + where);
  std::vector<char> buf(count * size);
  if (H5Aread(attr.get(), type.get(), buf.data()) < 0) fail("cannot read " + where);
  for (std::size_t i = 0; i < count; ++i) {
    const char* s = buf.data() + i * size;
    std::size_t len = 0;
    while (len < size && s[len] != '\0') ++len;
    out.emplace_back(s, len);
  }
  return out;
}

H5Floats Hdf5File::floats(const std::string& dataset_path) const {
  const H5Id ds(H5Dopen2(file_.get(), dataset_path.c_str(), H5P_DEFAULT), H5Dclose);
  if (ds.get() < 0) fail("no dataset " + dataset_path);
  const H5Id type(H5Dget_type(ds.get()), H5Tclose);
  if (type.get() < 0 || H5Tget_class(type.get()) != H5T_FLOAT)
    fail("dataset " + dataset_path + " is not floating point");
  const H5Id space(H5Dget_space(ds.get()), H5Sclose);
  const int rank = space.get() < 0 ? -1 : H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > 8) fail("unreadable shape of dataset " + dataset_path);
  H5Floats out;
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
    fail("unreadable shape of dataset " + dataset_path);
  std::uint64_t total = 1;
  for (hsize_t d : dims) {
    out.shape.push_back(d);
    total *= d;
  }
  if (total > (std::uint64_t{1} << 28)) fail("dataset " + dataset_path + " is implausibly large");
  out.values.resize(total);
  if (total > 0 &&
      H5Dread(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.values.data()) < 0) {
    fail("cannot read dataset " + dataset_path + " (truncated or corrupt)");
  }
  return out;
}

}  // namespace skinscan
