# Turns web/index.html into a C++ source with the page as a raw string, so
# iotaxd serves it from memory (no files, no network at runtime).
#   cmake -DINPUT=index.html -DOUTPUT=web_page_data.cc -P embed_web_page.cmake
file(READ "${INPUT}" page)
string(FIND "${page}" ")IOTAXPAGE\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )IOTAXPAGE\"")
endif()
file(WRITE "${OUTPUT}.tmp" "// Generated from daemon/web/index.html by embed_web_page.cmake: do not edit.\n#include \"web_page.h\"\n\nnamespace iotax {\n\nstd::string_view WebPageHtml() {\n  static constexpr char kPage[] = R\"IOTAXPAGE(${page})IOTAXPAGE\";\n  return {kPage, sizeof(kPage) - 1};\n}\n\n}  // namespace iotax\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
