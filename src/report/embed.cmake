# Turns a text file into a C++ byte array at build time, so that the tinyml binary carries
# it (used for the vendored Chart.js of the HTML reports).
#   cmake -DINPUT=file.js -DOUTPUT=file.cpp -DFUNCTION=name -P embed.cmake
# writes OUTPUT defining `std::string_view tinyml::report::FUNCTION()`.
# The file is inlined in a <script> element, so it must not hold "</script" or "<!--";
# a trailing "//# sourceMappingURL=" comment is dropped (the map is not shipped).
foreach(var INPUT OUTPUT FUNCTION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed.cmake: -D${var}=... is required")
  endif()
endforeach()

file(READ "${INPUT}" text)
string(LENGTH "${text}" text_length)
file(SIZE "${INPUT}" file_size)
if(NOT text_length EQUAL file_size)
  message(FATAL_ERROR "embed.cmake: ${INPUT} is not plain text (read ${text_length} of ${file_size} bytes)")
endif()
string(REGEX REPLACE "\n//# sourceMappingURL=[^\n]*\n?$" "\n" text "${text}")
string(TOLOWER "${text}" lower)
foreach(bad "</script" "<!--")
  string(FIND "${lower}" "${bad}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "embed.cmake: ${INPUT} holds '${bad}' at byte ${at}: it cannot be inlined in HTML")
  endif()
endforeach()

string(HEX "${text}" hex)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
# 0xNN, per byte, 24 bytes per line.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REPEAT "0x..," 24 line)
string(REGEX REPLACE "(${line})" "\\1\n" bytes "${bytes}")

get_filename_component(name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
"// Generated at build time by src/report/embed.cmake from ${name}: do not edit.
#include <string_view>

namespace tinyml::report {
namespace {
constexpr unsigned char kBytes[${size}] = {
${bytes}
};
}  // namespace

std::string_view ${FUNCTION}() {
  return {reinterpret_cast<const char*>(kBytes), sizeof kBytes};
}

}  // namespace tinyml::report
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
