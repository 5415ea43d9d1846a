# For out-of-tree plugins: tradestore_add_external_plugin(<name> <sources>...)
# builds a MODULE library without the "lib" prefix, with hidden visibility, linked to the SDK.
function(tradestore_add_external_plugin name)
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE TradeStore::sdk)
  target_compile_features(${name} PRIVATE cxx_std_20)
  set_target_properties(${name} PROPERTIES PREFIX "" CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()
