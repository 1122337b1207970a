#include "web/html_errors.h"

#include "data/text.h"

namespace skinscan::web {

bool wants_html(const std::string& accept) { return accept.find("text/html") != std::string::npos; }

std::string error_page_html(int status, const std::string& title, const std::string& message) {
  const std::string t = html_escape(title);
  return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         t +
         " · SkinScan</title>\n<link rel=\"icon\" href=\"/static/favicon.svg\" "
         "type=\"image/svg+xml\">\n<link rel=\"stylesheet\" href=\"/static/app.css\">\n"
         "</head>\n<body>\n<header class=\"site-header\"><div class=\"bar\"><a "
         "class=\"brand\" href=\"/\"><span class=\"brand-mark\" aria-hidden=\"true\">◎</span> "
         "SkinScan</a></div></header>\n<main id=\"main\" class=\"error-page\" "
         "data-status=\"" +
         std::to_string(status) + "\">\n<h1>" + t + "</h1>\n<p class=\"lead\">" +
         html_escape(message) +
         "</p>\n<p><a class=\"button primary\" href=\"/\">New screening</a> <a class=\"button\" "
         "href=\"/history\">History</a></p>\n</main>\n</body>\n</html>\n";
}

}  // namespace skinscan::web
