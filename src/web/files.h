// Files the server writes and serves: content hashes, atomic writes, and the safe lookup
// of static assets.
//
// Contracts: write_file_atomic() writes a temporary file in the same directory, fsyncs it
// and renames it over `path`, then fsyncs the directory, so readers see the old file, no
// file, or the whole new one, also after a power loss.
// resolve_under() never returns a path outside `root` (no "..", no symlink escape).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace skinscan::web {

// Lowercase hex SHA-256 of the bytes (OpenSSL EVP).
std::string sha256_hex(std::span<const std::uint8_t> bytes);
// `n` cryptographically random bytes as 2n lowercase hex characters (OpenSSL RAND).
std::string random_hex(std::size_t n);

// Throws std::runtime_error naming the path on failure.
void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);
// Removes the temporary files write_file_atomic() leaves in `dir` when the process dies
// mid-write (".<name>.tmp-<hex>"); returns how many. Call before serving.
std::size_t remove_stale_temp_files(const std::filesystem::path& dir);

// Whole file, or nullopt when it does not exist / cannot be read.
std::optional<std::string> read_file(const std::filesystem::path& path);

// `relative` (a URL path below a mount point, already percent-decoded) resolved inside
// `root`: nullopt for empty or absolute paths, any "." / ".." segment, backslashes, NULs,
// hidden files, or a canonical path outside root's canonical path.
std::optional<std::filesystem::path> resolve_under(const std::filesystem::path& root,
                                                   const std::string& relative);
// Content-Type by file extension (html, css, js, json, svg, png, jpg, webp, ico, woff2, map,
// txt); "application/octet-stream" otherwise.
std::string mime_for(const std::filesystem::path& p);

}  // namespace skinscan::web
