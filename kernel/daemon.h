// tradestored: the Poco ServerApplication that reads the config, validates it, and runs the
// deployment until SIGTERM or SIGINT; SIGHUP re-reads the config and reloads the sources.
#pragma once

#include <Poco/Util/ServerApplication.h>

#include <optional>
#include <string>
#include <vector>

namespace tradestore::kernel {

class Runtime;

class Daemon final : public Poco::Util::ServerApplication {
  protected:
    void defineOptions(Poco::Util::OptionSet& options) override;
    void handleOption(const std::string& name, const std::string& value) override;
    int main(const std::vector<std::string>& args) override;

  private:
    int check_config();
    int list_plugins_command();
    int serve();
    // SIGHUP: re-read and validate the config; hand it to the sources or keep the old one.
    void reload(Runtime& runtime);

    std::string config_path_ = "/etc/tradestore/tradestore.ini";
    std::optional<std::string> plugin_dir_;
    std::optional<std::string> business_date_;
    bool help_ = false;
    bool version_ = false;
    bool check_config_ = false;
    bool list_plugins_ = false;
    std::vector<std::string> log_secrets_;  // every secret seen since start, for redaction
};

}  // namespace tradestore::kernel
