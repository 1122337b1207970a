#include "web/openapi.h"

namespace skinscan::web {

using json = nlohmann::ordered_json;

namespace {

struct Op {
  const char* method;
  const char* path;
  const char* summary;
  const char* body;  // "multipart-image", "multipart-screening", "json-token", "form", ""
  std::vector<std::pair<int, const char*>> responses;  // status, schema ref or content type
  bool public_route = false;
};

const std::vector<Op>& ops() {
  static const std::vector<Op> kOps = {
      {"post",
       "/api/v1/screenings",
       "Screen an upload and record it; notifies patient and doctor",
       "multipart-screening",
       {{201, "Screening"},
        {400, "Error"},
        {401, "Error"},
        {403, "Error"},
        {413, "Error"},
        {415, "Error"},
        {422, "Error"},
        {429, "Error"},
        {500, "Error"}}},
      {"get",
       "/api/v1/screenings",
       "List screenings, newest first, searchable, 20 per page",
       "",
       {{200, "ScreeningPage"}, {400, "Error"}, {401, "Error"}}},
      {"get",
       "/api/v1/screenings/{id}",
       "One screening",
       "",
       {{200, "Screening"}, {401, "Error"}, {404, "Error"}}},
      {"get",
       "/api/v1/screenings/{id}/image",
       "The stored upload",
       "",
       {{200, "image/*"}, {401, "Error"}, {404, "Error"}}},
      {"get",
       "/api/v1/screenings/{id}/heatmap.png",
       "Grad-CAM overlay of the top class",
       "",
       {{200, "image/png"}, {401, "Error"}, {404, "Error"}}},
      {"post",
       "/api/v1/classify",
       "Screen an upload without storing anything",
       "multipart-image",
       {{200, "ClassifyResponse"},
        {401, "Error"},
        {403, "Error"},
        {413, "Error"},
        {415, "Error"},
        {422, "Error"},
        {429, "Error"}}},
      {"get",
       "/api/v1/model",
       "model.json of the loaded model (model card)",
       "",
       {{200, "Object"}, {401, "Error"}}},
      {"get",
       "/api/v1/insights",
       "EDA JSON of the model's training data",
       "",
       {{200, "Object"}, {401, "Error"}, {404, "Error"}}},
      {"get",
       "/api/v1/session",
       "Whether auth is required and this client is logged in",
       "",
       {{200, "SessionState"}},
       true},
      {"post",
       "/api/v1/session",
       "Log in with the API token; sets the session cookie",
       "json-token",
       {{204, ""}, {401, "Error"}, {403, "Error"}},
       true},
      {"delete", "/api/v1/session", "Log out", "", {{204, ""}, {403, "Error"}}, true},
      {"get", "/api/v1/openapi.json", "This document", "", {{200, "Object"}, {401, "Error"}}},
      {"get", "/healthz", "Liveness", "", {{200, "Object"}}, true},
      {"get",
       "/readyz",
       "Readiness: model loaded and database open",
       "",
       {{200, "Object"}, {503, "Error"}},
       true},
      {"get", "/metrics", "Prometheus metrics", "", {{200, "text/plain"}, {401, "Error"}}},
      {"post",
       "/twilio/status",
       "Twilio message status callback (signature-checked)",
       "form",
       {{204, ""}, {400, ""}, {403, ""}},
       true},
      {"get", "/", "Screening form page", "", {{200, "text/html"}, {302, ""}}},
      {"get",
       "/screenings/{id}",
       "Result page of one screening",
       "",
       {{200, "text/html"}, {302, ""}}},
      {"get", "/history", "History page", "", {{200, "text/html"}, {302, ""}}},
      {"get", "/insights", "Dataset insights page", "", {{200, "text/html"}, {302, ""}}},
      {"get", "/model", "Model card page", "", {{200, "text/html"}, {302, ""}}},
      {"get", "/login", "Login page", "", {{200, "text/html"}}, true},
      {"get",
       "/static/{path}",
       "Static assets (CSS, JavaScript, vendored libraries)",
       "",
       {{200, "*/*"}, {404, "Error"}},
       true},
  };
  return kOps;
}

json ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }

json schemas() {
  json str = {{"type", "string"}};
  json nstr = {{"type", json::array({"string", "null"})}};
  json person = {
      {"type", "object"},
      {"required", {"name", "phone"}},
      {"properties", {{"name", str}, {"phone", {{"type", "string"}, {"description", "E.164"}}}}}};
  json probs = {{"type", "object"}, {"additionalProperties", {{"type", "number"}}}};
  json result = {
      {"type", "object"},
      {"required",
       {"label", "name", "words", "confidence", "decision", "probabilities", "malignancy_risk",
        "refer", "model", "disclaimer"}},
      {"properties",
       {{"label",
         {{"type", "string"}, {"enum", {"akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"}}}},
        {"name", str},
        {"words", str},
        {"confidence", {{"type", "number"}}},
        {"decision",
         {{"type", "string"},
          {"enum", {"diagnosis", "no_disease", "inconclusive", "not_a_lesion"}},
          {"description",
           "diagnosis: the top class reaches the threshold; no_disease: below it and the "
           "malignancy risk is under no_disease_max_risk (never with refer); inconclusive: below "
           "it and not low risk (always refers); not_a_lesion: not a skin-lesion photo (no "
           "disease named, nothing sent)"}}},
        {"decision_text", str},
        {"confidence_text",
         {{"type", "string"},
          {"description",
           "what the confidence is of, e.g. \"76% melanoma\"; empty for not_a_lesion"}}},
        {"confidence_meaning",
         {{"type", "string"},
          {"description",
           "how often the top class was right at this confidence on held-out data"}}},
        {"no_disease_max_risk", {{"type", "number"}}},
        {"probabilities", probs},
        {"top3", {{"type", "array"}, {"items", {{"type", "object"}}}}},
        {"malignancy_risk", {{"type", "number"}}},
        {"refer", {{"type", "boolean"}}},
        {"model", {{"type", "object"}}},
        {"disclaimer", str}}}};
  json notification = {{"type", "object"},
                       {"properties",
                        {{"recipient", {{"type", "string"}, {"enum", {"patient", "doctor"}}}},
                         {"to", str},
                         {"status",
                          {{"type", "string"},
                           {"enum",
                            {"not_configured", "pending", "sending", "queued", "sent", "delivered",
                             "read", "failed", "undelivered", "expired"}}}},
                         {"error_code", nstr},
                         {"error_message", nstr},
                         {"updated_at", str}}}};
  json screening = {
      {"type", "object"},
      {"properties",
       {{"id", {{"type", "integer"}}},
        {"reference", str},
        {"created_at", {{"type", "string"}, {"format", "date-time"}}},
        {"patient", person},
        {"doctor", person},
        {"image", {{"type", "object"}}},
        {"heatmap_url", str},
        {"result", ref("Result")},
        {"notifications", {{"type", "array"}, {"items", ref("Notification")}}},
        {"overall",
         {{"type", "string"},
          {"enum", {"Success", "Failed", "Pending", "Not configured", "Not sent"}}}}}}};
  json field_error = {{"type", "object"},
                      {"properties", {{"code", str}, {"message", str}, {"field", nstr}}}};
  return {
      {"Result", result},
      {"Notification", notification},
      {"Screening", screening},
      {"ScreeningPage",
       {{"type", "object"},
        {"properties",
         {{"items", {{"type", "array"}, {"items", ref("Screening")}}},
          {"total", {{"type", "integer"}}},
          {"page", {{"type", "integer"}}},
          {"page_size", {{"type", "integer"}}}}}}},
      {"ClassifyResponse", {{"type", "object"}, {"properties", {{"result", ref("Result")}}}}},
      {"SessionState",
       {{"type", "object"},
        {"properties",
         {{"auth_required", {{"type", "boolean"}}}, {"authenticated", {{"type", "boolean"}}}}}}},
      {"FieldError", field_error},
      {"Error",
       {{"type", "object"},
        {"properties",
         {{"error", ref("FieldError")},
          {"errors", {{"type", "array"}, {"items", ref("FieldError")}}}}}}},
      {"Object", {{"type", "object"}}},
  };
}

json request_body(const std::string& kind) {
  json file = {{"type", "string"},
               {"contentMediaType", "application/octet-stream"},
               {"description", "JPEG, PNG or WebP (sniffed from content), at most 10 MiB"}};
  if (kind == "multipart-image" || kind == "multipart-screening") {
    json props = {{"image", file}};
    json required = {"image"};
    if (kind == "multipart-screening") {
      for (const char* f : {"patient_name", "patient_phone", "doctor_name", "doctor_phone"}) {
        props[f] = {{"type", "string"}};
        required.push_back(f);
      }
    }
    return {
        {"required", true},
        {"content",
         {{"multipart/form-data",
           {{"schema", {{"type", "object"}, {"required", required}, {"properties", props}}}}}}}};
  }
  if (kind == "json-token") {
    json schema = {{"type", "object"}, {"required", {"token"}}};
    schema["properties"]["token"] = {{"type", "string"}};
    json body = {{"required", true}};
    body["content"]["application/json"]["schema"] = schema;
    return body;
  }
  return {{"required", true},
          {"content", {{"application/x-www-form-urlencoded", {{"schema", {{"type", "object"}}}}}}}};
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& documented_routes() {
  static const auto kRoutes = [] {
    std::vector<std::pair<std::string, std::string>> r;
    for (const Op& op : ops()) r.emplace_back(op.method, op.path);
    return r;
  }();
  return kRoutes;
}

json openapi_document(const std::string& version) {
  json doc;
  doc["openapi"] = "3.1.0";
  doc["info"] = {{"title", "SkinScan API"},
                 {"version", version},
                 {"description",
                  "Skin-lesion screening aid (not a diagnosis). Errors have the body "
                  "{\"error\": {code, message, field}, \"errors\": [...]}."}};
  doc["components"] = {
      {"schemas", schemas()},
      {"securitySchemes",
       {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
        {"session", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "skinscan_session"}}}}}};
  json paths = json::object();
  for (const Op& op : ops()) {
    json o;
    o["summary"] = op.summary;
    o["operationId"] = std::string(op.method) + std::string(op.path);
    json params = json::array();
    const std::string path = op.path;
    if (path.find("{id}") != std::string::npos) {
      params.push_back({{"name", "id"},
                        {"in", "path"},
                        {"required", true},
                        {"schema", {{"type", "integer"}, {"minimum", 1}}}});
    }
    if (path.find("{path}") != std::string::npos) {
      params.push_back(
          {{"name", "path"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    if (path == "/api/v1/screenings" && std::string(op.method) == "get") {
      params.push_back({{"name", "query"},
                        {"in", "query"},
                        {"required", false},
                        {"schema", {{"type", "string"}, {"maxLength", 100}}},
                        {"description", "patient name substring or phone digits"}});
      params.push_back({{"name", "page"},
                        {"in", "query"},
                        {"required", false},
                        {"schema", {{"type", "integer"}, {"minimum", 1}, {"default", 1}}}});
    }
    if (!params.empty()) o["parameters"] = params;
    if (*op.body) o["requestBody"] = request_body(op.body);
    json responses = json::object();
    for (const auto& [status, what] : op.responses) {
      json r = {{"description", status < 300 ? "OK" : "See the error body"}};
      const std::string w = what;
      if (w.find('/') != std::string::npos) {
        r["content"] = {{w, json::object()}};
      } else if (!w.empty()) {
        r["content"] = {{"application/json", {{"schema", ref(w)}}}};
      }
      responses[std::to_string(status)] = r;
    }
    o["responses"] = responses;
    o["security"] =
        op.public_route
            ? json::array()
            : json::array(
                  {json::object(), {{"bearer", json::array()}}, {{"session", json::array()}}});
    paths[path][op.method] = o;
  }
  doc["paths"] = paths;
  return doc;
}

}  // namespace skinscan::web
