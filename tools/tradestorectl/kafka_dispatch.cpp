#include "kafka_dispatch.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string_view>
#include <system_error>

namespace tradestore::ctl {

void run_kafka_command_if_any(int argc, char** argv) {
    if (argc < 2) return;
    const std::string_view command = argv[1];
    if (command != "dlq" && command != "replay") return;
    std::error_code error;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
    // The build tree has both programs in one folder; a package has the helper in libexec.
    for (const std::filesystem::path& helper :
         {self.parent_path() / "tradestorectl-kafka",
          std::filesystem::path(TRADESTORE_LIBEXEC_DIR) / "tradestorectl-kafka"}) {
        if (!error && ::access(helper.c_str(), X_OK) == 0) {
            argv[0] = const_cast<char*>(helper.c_str());
            ::execv(helper.c_str(), argv);
            std::cerr << "tradestorectl: cannot run " << helper.string() << "\n";
            std::exit(1);
        }
        error.clear();
    }
    std::cerr << "tradestorectl: '" << command << "' needs the tradestore-kafka package ("
              << TRADESTORE_LIBEXEC_DIR << "/tradestorectl-kafka is not installed)\n";
    std::exit(1);
}

}  // namespace tradestore::ctl
