// GET /docs: Swagger UI on /openapi.json, from the swagger-ui-dist files in docs_dir (npm's
// swagger-ui-dist, installed by web/swagger/install.sh or shipped in the packages). The files
// are read once at start; only the few Swagger UI needs are served, by exact name. When they
// are missing, /docs answers 404 saying plainly that the assets are not installed.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace tradestore::rest {

class DocsAssets {
  public:
    explicit DocsAssets(const std::string& dir);

    bool installed() const { return installed_; }
    const std::string& dir() const { return dir_; }
    // The page at /docs, or the "not installed" text.
    const std::string& page() const { return page_; }

    struct Asset {
        std::string body;
        std::string_view content_type;
    };
    const Asset* find(std::string_view name) const;

  private:
    std::string dir_;
    bool installed_ = false;
    std::string page_;
    std::map<std::string, Asset, std::less<>> assets_;
};

}  // namespace tradestore::rest
