# tradestore_add_plugin(<name> SOURCES ... [LIBRARIES ...])
# A plugin is a MODULE library without the "lib" prefix, named after its folder, built into
# ${TRADESTORE_PLUGIN_OUTPUT_DIR} so the daemon can load it straight from the build tree.
function(tradestore_add_plugin name)
  cmake_parse_arguments(PLUGIN "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${name} MODULE ${PLUGIN_SOURCES})
  target_link_libraries(${name} PRIVATE TradeStore::sdk ${PLUGIN_LIBRARIES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${TRADESTORE_PLUGIN_OUTPUT_DIR})
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
  install(TARGETS ${name} LIBRARY DESTINATION ${TRADESTORE_PLUGIN_INSTALL_DIR})
endfunction()
