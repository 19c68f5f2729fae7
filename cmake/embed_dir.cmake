# cmake -DDIR=folder -DOUTPUT=FILE.cc -DHEADER=path/to/header.h -DFUNCTION=ns::Name -P embed_dir.cmake
#
# Writes a C++ source that defines `std::span<const StaticFile> FUNCTION()`
# (declared in HEADER, which declares facekit::server::StaticFile) returning
# every file under DIR, sorted by relative name, with its bytes, so that the
# files are part of the binary and need no source tree at run time.
foreach(var DIR OUTPUT HEADER FUNCTION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_dir.cmake: -D${var}=... is required")
  endif()
endforeach()
file(GLOB_RECURSE files RELATIVE "${DIR}" "${DIR}/*")
list(SORT files)
if(NOT files)
  message(FATAL_ERROR "embed_dir.cmake: ${DIR} holds no file")
endif()
set(arrays "")
set(table "")
set(index 0)
foreach(name IN LISTS files)
  file(READ "${DIR}/${name}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  set(bytes "")
  if(hex_length GREATER 0)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    # 24 bytes a line.
    string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){24})" "\\1\n      " bytes "${bytes}")
  else()
    set(bytes "0x00,")  # an empty file: one byte that the table does not count
  endif()
  math(EXPR size "${hex_length} / 2")
  string(APPEND arrays "constexpr unsigned char kFile${index}[] = {\n      ${bytes}\n};\n")
  string(APPEND table "      {\"${name}\", {reinterpret_cast<const char*>(kFile${index}), ${size}}},\n")
  math(EXPR index "${index} + 1")
endforeach()
get_filename_component(dir_name "${DIR}" NAME)
file(WRITE "${OUTPUT}.tmp"
  "// Generated from the folder ${dir_name} by cmake/embed_dir.cmake; do not edit.\n"
  "#include \"${HEADER}\"\n\n"
  "namespace {\n${arrays}}  // namespace\n\n"
  "std::span<const facekit::server::StaticFile> ${FUNCTION}() {\n"
  "  static const facekit::server::StaticFile kFiles[] = {\n${table}  };\n"
  "  return kFiles;\n"
  "}\n")
# Only a changed source is rewritten (and recompiled).
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
