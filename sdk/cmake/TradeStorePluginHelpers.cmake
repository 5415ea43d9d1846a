# For out-of-tree plugins: tradestore_add_external_plugin(<name> <sources>...)
# builds <name>.so: a MODULE library without the "lib" prefix, with hidden visibility, linked
# to the SDK. <name> must be the name the plugin's descriptor declares (the kernel checks).
function(tradestore_add_external_plugin name)
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE TradeStore::sdk)
  # Exactly C++20, as the daemon: the kernel refuses a plugin whose ABI block records another
  # standard, so a compiler that defaults to a newer one must not decide for the plugin.
  set_target_properties(${name} PROPERTIES PREFIX "" CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  # An unresolved symbol fails the build here rather than the daemon's start.
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    target_link_options(${name} PRIVATE -Wl,--no-undefined)
  endif()
endfunction()
