// tradestored entry point.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "daemon.h"
#include "try_rule.h"

int main(int argc, char** argv) {
    // --try-rule is a tool of its own: it starts no server, so it runs before Poco's.
    if (argc > 1 && std::string_view(argv[1]) == "--try-rule") {
        return tradestore::kernel::try_rule_command(std::vector<std::string>(argv + 2, argv + argc),
                                                    std::cout, std::cerr);
    }
    try {
        tradestore::kernel::Daemon daemon;
        return daemon.run(argc, argv);
    } catch (Poco::Exception& exc) {
        std::cerr << exc.displayText() << std::endl;
        return Poco::Util::Application::EXIT_SOFTWARE;
    }
}
