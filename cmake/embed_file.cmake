# cmake -DINPUT=FILE -DOUTPUT=FILE.cc -DHEADER=path/to/header.h -DFUNCTION=ns::Name -P embed_file.cmake
#
# Writes a C++ source that defines `std::string_view FUNCTION()` (declared in
# HEADER) returning the bytes of INPUT, so that a file generated at build time
# is part of the binary and needs no source tree at run time.
foreach(var INPUT OUTPUT HEADER FUNCTION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_file.cmake: -D${var}=... is required")
  endif()
endforeach()
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
if(hex_length EQUAL 0)
  message(FATAL_ERROR "embed_file.cmake: ${INPUT} is empty")
endif()
# 24 bytes a line.
set(bytes "")
set(line_hex 48)
foreach(offset RANGE 0 ${hex_length} ${line_hex})
  string(SUBSTRING "${hex}" ${offset} ${line_hex} chunk)
  if(NOT chunk STREQUAL "")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," chunk "${chunk}")
    string(APPEND bytes "      ${chunk}\n")
  endif()
endforeach()
get_filename_component(input_name "${INPUT}" NAME)
file(WRITE "${OUTPUT}"
  "// Generated from ${input_name} by cmake/embed_file.cmake; do not edit.\n"
  "#include \"${HEADER}\"\n\n"
  "std::string_view ${FUNCTION}() {\n"
  "  static constexpr unsigned char kBytes[] = {\n${bytes}  };\n"
  "  return {reinterpret_cast<const char*>(kBytes), sizeof(kBytes)};\n"
  "}\n")
