// Configures Poco's logging from the kernel settings: console or file, one level for all.
#pragma once

#include <string>

namespace tradestore::kernel {

void configure_logging(const std::string& level, const std::string& log_file);

}  // namespace tradestore::kernel
