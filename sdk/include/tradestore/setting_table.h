// A plugin's settings bound to the fields of its config struct: one table declares each
// setting (its SettingSpec: key, type, default, help, range) next to the field it fills. The
// schema the kernel validates and the values the plugin reads then come from one place, and
// each default is written once, in the spec.
//
//   const SettingTable<MyConfig>& table() {
//       static const SettingTable<MyConfig> table = SettingTable<MyConfig>{}
//           .bind({"host", SettingType::String, "127.0.0.1", false, "Address to listen on"},
//                 [](MyConfig& c) -> auto& { return c.host; })
//           .bind({"port", SettingType::Int, "8080", false, "TCP port", 1, 65535},
//                 [](MyConfig& c) -> auto& { return c.port; });
//       return table;
//   }
//   descriptor.settings = table().specs();
//   MyConfig config = table().read(settings);
#pragma once

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tradestore/settings.h"

namespace tradestore {

namespace setting_fields {

template <typename T>
struct is_duration : std::false_type {};
template <typename Rep, typename Period>
struct is_duration<std::chrono::duration<Rep, Period>> : std::true_type {};

// A validated setting's text as the field's type: std::string, bool, an integer, a
// std::chrono::duration or std::vector<std::string> (a list). Throws std::invalid_argument
// naming the key when the text does not parse (the kernel validates first, so only a caller
// that skips validation sees it).
template <typename Field>
Field parse(const std::string& key, const std::string& text) {
    const auto checked = [&key](auto parsed) {
        if (!parsed) throw std::invalid_argument(key + ": the value has the wrong type");
        return *parsed;
    };
    if constexpr (std::is_same_v<Field, std::string>) {
        return text;
    } else if constexpr (std::is_same_v<Field, bool>) {
        return checked(setting_parse::boolean(text));
    } else if constexpr (std::is_integral_v<Field>) {
        return static_cast<Field>(checked(setting_parse::integer(text)));
    } else if constexpr (is_duration<Field>::value) {
        return std::chrono::duration_cast<Field>(checked(setting_parse::duration(text)));
    } else {
        static_assert(std::is_same_v<Field, std::vector<std::string>>,
                      "a bound field is a string, bool, integer, duration or list of strings");
        return setting_parse::list(text);
    }
}

}  // namespace setting_fields

template <typename Config>
class SettingTable {
  public:
    // Binds `spec` to the field `field(config)` returns a reference to; the field's type says
    // how the value is read (setting_fields::parse).
    template <typename Access>
    SettingTable& bind(SettingSpec spec, Access field) {
        using Field = std::remove_reference_t<std::invoke_result_t<Access, Config&>>;
        return bind_with(std::move(spec),
                         [field](Config& config, const std::string& key, const std::string& text) {
                             field(config) = setting_fields::parse<Field>(key, text);
                         });
    }

    // A setting that `read` turns into the config itself (an enum, a value to check): it gets
    // the key and the text, and throws std::invalid_argument ("key: problem") when it cannot.
    SettingTable& bind_with(
        SettingSpec spec,
        std::function<void(Config&, const std::string& key, const std::string& text)> read) {
        bindings_.push_back({std::move(spec), std::move(read)});
        return *this;
    }

    // A setting in the schema that the plugin reads itself, outside the table.
    SettingTable& declare(SettingSpec spec) { return bind_with(std::move(spec), nullptr); }

    std::vector<SettingSpec> specs() const {
        std::vector<SettingSpec> specs;
        specs.reserve(bindings_.size());
        for (const Binding& binding : bindings_) specs.push_back(binding.spec);
        return specs;
    }

    // Every bound field from its setting, or from the spec's default when the setting is not
    // given; a field whose setting has neither keeps what `config` held.
    Config read(const Settings& settings, Config config = {}) const {
        for (const Binding& binding : bindings_) {
            if (!binding.read) continue;
            const std::string& key = binding.spec.key;
            if (settings.has(key)) {
                binding.read(config, key, settings.get_string(key));
            } else if (!binding.spec.default_value.empty()) {
                binding.read(config, key, binding.spec.default_value);
            }
        }
        return config;
    }

  private:
    struct Binding {
        SettingSpec spec;
        std::function<void(Config&, const std::string&, const std::string&)> read;
    };
    std::vector<Binding> bindings_;
};

}  // namespace tradestore
