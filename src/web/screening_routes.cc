// The screening routes: uploads (screen first, then store) and reads.
#include <charconv>

#include "data/classes.h"
#include "data/image.h"
#include "web/api_json.h"
#include "web/files.h"
#include "web/http_reply.h"
#include "web/server_impl.h"

namespace skinscan::web {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

json result_json(const ScreenResult& r) {
  json j = r.json;
  j["words"] = r.words;
  return j;
}

std::string field(const Request& req, const std::string& name) {
  const auto it = req.files.find(name);
  return it == req.files.end() ? std::string() : it->second.content;
}

// The uploaded image's bytes (the caller checked that the part exists).
const std::string& image_bytes(const Request& req) {
  return req.files.find("image")->second.content;
}

// Form fields that must appear at most once (a repeated field is refused, never guessed).
constexpr const char* kSingleFields[] = {"image", "patient_name", "patient_phone", "doctor_name",
                                         "doctor_phone"};

bool no_repeated_fields(const Request& req, std::vector<FieldError>& errors) {
  for (const char* f : kSingleFields) {
    if (req.files.count(f) > 1) {
      errors.push_back({"duplicate_field", std::string("the field ") + f + " is sent twice", f});
    }
  }
  return errors.empty();
}

}  // namespace

bool Server::Impl::check_image(const Request& req, Response& res, std::vector<FieldError>& errors) {
  if (!req.has_file("image")) {
    errors.push_back({"required", "an image file is required", "image"});
    return true;
  }
  const std::string& bytes = image_bytes(req);
  if (bytes.empty()) {
    errors.push_back({"empty", "the image file is empty", "image"});
    return true;
  }
  if (bytes.size() > cfg.max_upload) {
    send_error(res, 413, "too_large", "the image is larger than 10 MB", "image");
    return false;
  }
  if (sniff_format(as_bytes(bytes)) == ImageFormat::kUnknown) {
    send_error(res, 415, "unsupported", "the image must be a JPEG, PNG or WebP file", "image");
    return false;
  }
  return true;
}

std::optional<ScreenResult> Server::Impl::screen(const std::string& bytes, Response& res) {
  try {
    const auto hold = gate.hold();
    return screener->screen(as_bytes(bytes));
  } catch (const ImageError& e) {
    send_error(res, http_status_for(e.code()), e.code(), e.what(), "image");
    return std::nullopt;
  }
}

bool Server::Impl::check_upload(const Request& req, Response& res,
                                std::vector<FieldError>& errors) {
  if (!req.is_multipart_form_data()) {
    send_error(res, 415, "unsupported_media_type", "send multipart/form-data");
    return false;
  }
  if (!no_repeated_fields(req, errors)) {
    send_json(res, 422, error_body(errors));
    return false;
  }
  return check_image(req, res, errors);
}

void Server::Impl::post_classify(const Request& req, Response& res) {
  std::vector<FieldError> errors;
  if (!check_upload(req, res, errors)) return;
  if (!errors.empty()) {
    send_json(res, 422, error_body(errors));
    return;
  }
  const auto r = screen(image_bytes(req), res);
  if (!r) return;
  send_json(res, 200, {{"result", result_json(*r)}});
}

void Server::Impl::post_screening(const Request& req, Response& res) {
  std::vector<FieldError> errors;
  if (!check_upload(req, res, errors)) return;
  const auto patient = validate_name(field(req, "patient_name"), "patient_name", errors);
  const auto patient_phone =
      validate_phone(field(req, "patient_phone"), cfg.default_region, "patient_phone", errors);
  const auto doctor = validate_name(field(req, "doctor_name"), "doctor_name", errors);
  const auto doctor_phone =
      validate_phone(field(req, "doctor_phone"), cfg.default_region, "doctor_phone", errors);
  if (!errors.empty()) {
    send_json(res, 422, error_body(errors));
    return;
  }
  const std::string& bytes = image_bytes(req);
  const auto r = screen(bytes, res);  // BEFORE anything is written
  if (!r) return;

  store::NewScreening s;
  s.patient_name = *patient;
  s.patient_phone = *patient_phone;
  s.doctor_name = *doctor;
  s.doctor_phone = *doctor_phone;
  s.image_sha256 = sha256_hex(as_bytes(bytes));
  s.image_format = r->format;
  s.image_width = r->width;
  s.image_height = r->height;
  s.label = std::string(class_code(r->finding.label));
  s.decision = decision_code(r->finding.decision);
  s.finding = r->words;
  s.confidence = r->finding.confidence;
  s.malignancy_risk = r->finding.malignancy_risk;
  s.refer = r->finding.refer;
  s.result_json = r->json.dump();
  s.model_version = screener->model_version();

  const auto initial =
      twilio.configured() ? notify::Status::kPending : notify::Status::kNotConfigured;
  // The photo is committed with its screening (one transaction; any instance serves it).
  const store::Blob photo{s.image_sha256, format_mime(sniff_format(as_bytes(bytes))), bytes};
  const store::ScreeningRow row = store->create_screening(s, initial, photo);
  if (initial == notify::Status::kPending) sender->wake();
  res.set_header("Location", "/api/v1/screenings/" + std::to_string(row.id));
  send_json(res, 201, screening_json(row));
}

std::optional<store::ScreeningRow> Server::Impl::find(const Request& req, Response& res) {
  std::int64_t id = 0;
  const std::string text = req.matches[1].str();
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  std::optional<store::ScreeningRow> row;
  if (ec == std::errc() && p == text.data() + text.size() && id > 0) row = store->get_screening(id);
  if (!row) send_error(res, 404, "not_found", "no screening with id " + text);
  return row;
}

void Server::Impl::get_one(const Request& req, Response& res) {
  if (const auto row = find(req, res)) send_json(res, 200, screening_json(*row));
}

void Server::Impl::get_list(const Request& req, Response& res) {
  const std::string query = req.get_param_value("query");
  if (utf8_length(query).value_or(1000) > 100) {
    send_error(res, 400, "bad_request", "query must be UTF-8, at most 100 characters", "query");
    return;
  }
  int page = 1;
  if (req.has_param("page")) {
    const std::string p = req.get_param_value("page");
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), page);
    if (ec != std::errc() || end != p.data() + p.size() || page < 1) {
      send_error(res, 400, "bad_request", "page must be a whole number >= 1", "page");
      return;
    }
  }
  store::ListFilter filter;
  if (!list_filter(req, filter, res)) return;
  const store::Page pg = store->list_screenings(query, page, 20, filter);
  json items = json::array();
  for (const auto& row : pg.items) items.push_back(screening_json(row));
  send_json(
      res, 200,
      {{"items", items}, {"total", pg.total}, {"page", pg.page}, {"page_size", pg.page_size}});
}

fs::path Server::Impl::image_path(const store::ScreeningRow& row) const {
  return images_dir / (row.image_sha256 + "." + image_extension(row.image_format));
}

// The photo from the database; the image file of databases written before photos moved there.
std::optional<std::string> Server::Impl::photo_bytes(const store::ScreeningRow& row) {
  if (auto blob = store->get_blob(row.image_sha256)) return std::move(blob->bytes);
  return read_file(image_path(row));
}

void Server::Impl::get_image(const Request& req, Response& res) {
  const auto row = find(req, res);
  if (!row) return;
  auto bytes = photo_bytes(*row);
  if (!bytes) {
    send_error(res, 404, "not_found", "image file missing");
    return;
  }
  const ImageFormat f = sniff_format(as_bytes(*bytes));
  res.set_header("Cache-Control", "private, max-age=86400, immutable");
  res.set_content(std::move(*bytes), format_mime(f));
}

void Server::Impl::get_heatmap(const Request& req, Response& res) {
  const auto row = find(req, res);
  if (!row) return;
  std::optional<std::string> png;
  if (auto cached = store->get_heatmap(row->image_sha256, row->label))
    png = std::move(cached->bytes);
  if (!png) {
    const auto bytes = photo_bytes(*row);
    const auto cls = class_from_code(row->label);
    if (!bytes || !cls) {
      send_error(res, 404, "not_found", "image file missing");
      return;
    }
    std::vector<std::uint8_t> out;
    {
      const auto hold = gate.hold();
      out = screener->heatmap_png(as_bytes(*bytes), *cls);
    }
    png = std::string(out.begin(), out.end());
    store->put_heatmap(row->image_sha256, row->label,
                       store::Blob{sha256_hex(out), "image/png", *png});
  }
  res.set_header("Cache-Control", "private, max-age=86400");
  res.set_content(std::move(*png), "image/png");
}

}  // namespace skinscan::web
