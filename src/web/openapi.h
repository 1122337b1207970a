// The OpenAPI 3.1 document served at GET /api/v1/openapi.json: every route of the server.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace skinscan::web {

nlohmann::ordered_json openapi_document(const std::string& version);
// (method, OpenAPI path) of every route the server answers, pages and assets included.
const std::vector<std::pair<std::string, std::string>>& documented_routes();

}  // namespace skinscan::web
