// Issue 11's additions to the routes: the history list's filters and the result page of a
// screening that exists (a 404 page with a heading otherwise, never a blank page).
#include <charconv>

#include "web/html_errors.h"
#include "web/http_reply.h"
#include "web/server_impl.h"

namespace skinscan::web {

bool Server::Impl::list_filter(const Request& req, store::ListFilter& f, Response& res) const {
  f.decision = req.get_param_value("decision");
  if (!f.decision.empty() && f.decision != "diagnosis" && f.decision != "no_disease" &&
      f.decision != "inconclusive" && f.decision != "not_a_lesion") {
    send_error(res, 400, "bad_request",
               "decision must be diagnosis, no_disease, inconclusive or not_a_lesion", "decision");
    return false;
  }
  const std::string refer = req.get_param_value("refer");
  if (refer == "true" || refer == "false") {
    f.refer = refer == "true";
  } else if (!refer.empty()) {
    send_error(res, 400, "bad_request", "refer must be true or false", "refer");
    return false;
  }
  return true;
}

void Server::Impl::result_page(const Request& req, Response& res) {
  std::int64_t id = 0;
  const std::string text = req.matches[1].str();
  std::from_chars(text.data(), text.data() + text.size(), id);
  if (id > 0 && store->get_screening(id)) {
    page("screening.html", req, res);
    return;
  }
  res.status = 404;
  res.set_content(
      error_page_html(404, "Screening not found", "There is no screening number " + text + "."),
      "text/html; charset=utf-8");
}

}  // namespace skinscan::web
