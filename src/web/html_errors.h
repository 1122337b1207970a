// Error pages for people: a browser that asks for a page (Accept: text/html) gets an HTML
// page with the site's look, a heading and a way back, never the API's raw JSON.
#pragma once

#include <string>

namespace skinscan::web {

// True when the Accept header prefers HTML (a browser navigating), false for API clients.
bool wants_html(const std::string& accept);

// A complete HTML page: <h1>title</h1>, the message and links to the form and history.
// `title` and `message` are escaped.
std::string error_page_html(int status, const std::string& title, const std::string& message);

}  // namespace skinscan::web
