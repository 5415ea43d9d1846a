# The fuzz preset's compiler setup (TRADESTORE_FUZZ=ON): clang only, and the UBSan
# exceptions for third-party headers. The harnesses themselves are in fuzz/CMakeLists.txt.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "TRADESTORE_FUZZ needs clang (libFuzzer): use the fuzz preset")
endif()
# UBSan exceptions for third-party headers. Given relative to the build folder (where Ninja
# runs the compiler) so ccache hits from any clone; ccache does not hash the list itself,
# so a definition carries its hash.
set(ignorelist ${PROJECT_SOURCE_DIR}/fuzz/ubsan-ignorelist.txt)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${ignorelist})
file(SHA1 ${ignorelist} ignorelist_sha1)
file(RELATIVE_PATH ignorelist ${CMAKE_BINARY_DIR} ${ignorelist})
add_compile_options(-fsanitize-ignorelist=${ignorelist})
add_compile_definitions(TRADESTORE_UBSAN_IGNORELIST_SHA1=${ignorelist_sha1})
