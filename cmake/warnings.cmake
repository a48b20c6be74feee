# Warning flags shared by every target of the project.
add_library(tinyml_warnings INTERFACE)
target_compile_options(tinyml_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wimplicit-fallthrough)
if(TINYML_WERROR)
  target_compile_options(tinyml_warnings INTERFACE -Werror)
endif()
