#include "logging_setup.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FileChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>

#include <iostream>

namespace tradestore::kernel {

void configure_logging(const std::string& level, const std::string& log_file) {
    Poco::AutoPtr<Poco::Channel> sink;
    if (log_file.empty()) {
        // Logs go to stdout; stderr carries only the one-line reason a start failed.
        sink = new Poco::ConsoleChannel(std::cout);  // Poco's intrusive AutoPtr takes ownership
    } else {
        Poco::AutoPtr<Poco::FileChannel> file(new Poco::FileChannel(log_file));
        file->setProperty("rotation", "100 M");
        file->setProperty("archive", "timestamp");
        sink = file;
    }
    Poco::AutoPtr<Poco::PatternFormatter> formatter(
        new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"));
    Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(formatter, sink));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::setLevel("", Poco::Logger::parseLevel(level));
}

}  // namespace tradestore::kernel
