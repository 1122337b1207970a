#include "web/html_errors.h"

namespace skinscan::web {

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

bool wants_html(const std::string& accept) { return accept.find("text/html") != std::string::npos; }

std::string error_page_html(int status, const std::string& title, const std::string& message) {
  const std::string t = escape(title);
  return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         t +
         " · SkinScan</title>\n<link rel=\"icon\" href=\"/static/favicon.svg\" "
         "type=\"image/svg+xml\">\n<link rel=\"stylesheet\" href=\"/static/app.css\">\n"
         "</head>\n<body>\n<header class=\"site-header\"><div class=\"bar\"><a "
         "class=\"brand\" href=\"/\"><span class=\"brand-mark\" aria-hidden=\"true\">◎</span> "
         "SkinScan</a></div></header>\n<main id=\"main\" class=\"error-page\" "
         "data-status=\"" +
         std::to_string(status) + "\">\n<h1>" + t + "</h1>\n<p class=\"lead\">" + escape(message) +
         "</p>\n<p><a class=\"button primary\" href=\"/\">New screening</a> <a class=\"button\" "
         "href=\"/history\">History</a></p>\n</main>\n</body>\n</html>\n";
}

}  // namespace skinscan::web
