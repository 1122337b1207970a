#include "web/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "data/error.h"

namespace skinscan::web {
namespace fs = std::filesystem;

namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[p[i] >> 4];
    s[2 * i + 1] = kDigits[p[i] & 15];
  }
  return s;
}

}  // namespace

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) {
    throw skinscan::Error(skinscan::ErrorCode::kInternal, "SHA-256 failed");
  }
  return to_hex(md, len);
}

std::string random_hex(std::size_t n) {
  std::vector<unsigned char> buf(n);
  if (RAND_bytes(buf.data(), static_cast<int>(n)) != 1) {
    throw skinscan::Error(skinscan::ErrorCode::kInternal, "random bytes unavailable");
  }
  return to_hex(buf.data(), n);
}

void write_file_atomic(const fs::path& path, std::span<const std::uint8_t> bytes) {
  const fs::path tmp =
      path.parent_path() / ("." + path.filename().string() + ".tmp-" + random_hex(8));
  const auto fail = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw skinscan::Error(skinscan::ErrorCode::kIo,
                          "cannot " + std::string(what) + " " + path.string() + ": " + reason);
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) fail("create");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail("write");
    }
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("sync");
  }
  if (::close(fd) != 0) fail("close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename to");
  // The rename is durable only once the directory entry is: without this a committed row
  // could point to a photo that a power loss took away.
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    throw skinscan::Error(skinscan::ErrorCode::kIo,
                          "cannot open directory " + dir.string() + " to sync it");
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0)
    throw skinscan::Error(skinscan::ErrorCode::kIo, "cannot sync directory " + dir.string());
}

std::size_t remove_stale_temp_files(const fs::path& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > 1 && name[0] == '.' && name.find(".tmp-") != std::string::npos &&
        it->is_regular_file(ec)) {
      if (fs::remove(it->path(), ec)) ++removed;
    }
  }
  return removed;
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

std::optional<fs::path> resolve_under(const fs::path& root, const std::string& relative) {
  if (relative.empty() || relative.front() == '/' ||
      relative.find_first_of(std::string("\\\0:", 3)) != std::string::npos) {
    return std::nullopt;
  }
  std::size_t start = 0;
  while (start <= relative.size()) {
    const std::size_t end = std::min(relative.find('/', start), relative.size());
    const std::string seg = relative.substr(start, end - start);
    if (seg.empty() || seg.front() == '.') return std::nullopt;  // "", ".", "..", hidden
    start = end + 1;
  }
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  const fs::path full = fs::canonical(base / relative, ec);
  if (ec || !fs::is_regular_file(full, ec)) return std::nullopt;
  const std::string b = base.string() + "/";
  if (full.string().compare(0, b.size(), b) != 0) return std::nullopt;
  return full;
}

std::string mime_for(const fs::path& p) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  const auto it = kTypes.find(p.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

}  // namespace skinscan::web
