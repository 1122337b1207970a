// How every route answers: JSON bodies, the error shape of docs/api.md, cookies, and THE
// mapping from an image error code to an HTTP status (one place).
#pragma once

#include <map>
#include <span>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "data/error.h"

namespace skinscan::web {

void send_json(httplib::Response& res, int status, const nlohmann::ordered_json& body);
void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::string& field = "");

// HTTP status of an error code: too_large 413, unsupported 415, not_found 404,
// unauthorized 401, forbidden/csrf 403, rate_limited 429, unavailable 503, internal 500;
// every other input error (empty, too_small, truncated, corrupt, invalid...) 422.
int http_status_for(const std::string& code);
// The same for an Error's code (kStore/kInternal 500, kUnavailable 503, kModel 500).
int http_status_for(ErrorCode code);

// Cookie header(s) as name -> value (first wins). cpp-httplib 0.11 has no cookie parser.
std::map<std::string, std::string> parse_cookies(const httplib::Request& req);

// Constant-time comparison of two secrets; false when either is empty.
bool equal_secret(const std::string& a, const std::string& b);

std::span<const std::uint8_t> as_bytes(const std::string& s);

}  // namespace skinscan::web
