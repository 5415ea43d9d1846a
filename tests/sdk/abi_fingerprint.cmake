# Fails when the SDK headers change but sdk/abi-fingerprint.txt (and so kSdkAbiVersion in
# plugin.h) was not updated: a plugin built against other headers must never pass the ABI check.
# Usage: cmake -DSDK_DIR=<sdk> -P abi_fingerprint.cmake
file(GLOB headers ${SDK_DIR}/include/tradestore/*.h)
list(SORT headers)
set(all "")
foreach(header ${headers})
  file(READ ${header} text)
  get_filename_component(name ${header} NAME)
  string(APPEND all "${name}\n${text}\n")
endforeach()
string(SHA256 actual "${all}")
file(READ ${SDK_DIR}/include/tradestore/plugin.h plugin)
string(REGEX MATCH "kSdkAbiVersion = ([0-9]+)" _ "${plugin}")
set(version ${CMAKE_MATCH_1})
file(STRINGS ${SDK_DIR}/abi-fingerprint.txt recorded)
set(expected "abi_version=${version} sha256=${actual}")
if(NOT recorded STREQUAL expected)
  message(FATAL_ERROR "The SDK headers changed since sdk/abi-fingerprint.txt was written.\n"
    "If the change alters any type, interface or inline function, bump kSdkAbiVersion in "
    "sdk/include/tradestore/plugin.h; then write this line to sdk/abi-fingerprint.txt:\n"
    "${expected}\n(recorded: ${recorded})")
endif()
message(STATUS "SDK ABI ${version}: ${actual}")
