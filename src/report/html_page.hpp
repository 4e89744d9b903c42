#pragma once
/// The static style and script of the HTML report (html_page.cpp).

namespace cclbench::html {

extern const char* kStyle;
extern const char* kScript;

}  // namespace cclbench::html
