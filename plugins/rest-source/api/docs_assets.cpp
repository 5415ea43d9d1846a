#include "docs_assets.h"

#include <fstream>
#include <sstream>

namespace tradestore::rest {
namespace {

struct KnownAsset {
    std::string_view name;
    std::string_view content_type;
    bool required;
};

constexpr KnownAsset kAssets[] = {
    {"swagger-ui.css", "text/css; charset=utf-8", true},
    {"swagger-ui-bundle.js", "application/javascript; charset=utf-8", true},
    {"swagger-ui-standalone-preset.js", "application/javascript; charset=utf-8", false},
    {"favicon-32x32.png", "image/png", false},
    {"favicon-16x16.png", "image/png", false},
};

constexpr std::string_view kPage = R"(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>TradeStore API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      displayRequestDuration: true
    });
  </script>
</body>
</html>
)";

bool read_file(const std::string& path, std::string& out) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return false;
    std::ostringstream content;
    content << file.rdbuf();
    out = content.str();
    return static_cast<bool>(file) || file.eof();
}

}  // namespace

DocsAssets::DocsAssets(const std::string& dir) : dir_(dir) {
    installed_ = !dir.empty();
    for (const KnownAsset& known : kAssets) {
        Asset asset;
        asset.content_type = known.content_type;
        if (!dir.empty() && read_file(dir + "/" + std::string(known.name), asset.body)) {
            assets_.emplace(std::string(known.name), std::move(asset));
        } else if (known.required) {
            installed_ = false;
        }
    }
    if (installed_) {
        page_ = kPage;
    } else {
        page_ =
            "Swagger UI is not available: its assets were not installed (no "
            "swagger-ui-bundle.js and swagger-ui.css in docs_dir = '" +
            dir +
            "'). Install them with web/swagger/install.sh (npm's swagger-ui-dist) "
            "and point [plugin.rest-source] docs_dir at the folder it prints. The API "
            "document itself is at /openapi.json.\n";
        assets_.clear();
    }
}

const DocsAssets::Asset* DocsAssets::find(std::string_view name) const {
    auto it = assets_.find(name);
    return it == assets_.end() ? nullptr : &it->second;
}

}  // namespace tradestore::rest
