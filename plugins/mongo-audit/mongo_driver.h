// Thin RAII over the parts of libmongoc and libbson the plugin uses, and the one error type
// the Mongo side throws.
#pragma once

#include <mongoc/mongoc.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tradestore::plugins::mongo {

// mongoc_init() once per process (never mongoc_cleanup(): other code in the process may still
// use the driver, and the process ends soon after anyway).
void init_driver();

// An owned heap bson_t (bson_new, bson_destroy). Not std::unique_ptr<bson_t>: bson_t carries
// an alignment attribute that a template argument would drop.
class BsonPtr {
  public:
    BsonPtr() noexcept = default;
    explicit BsonPtr(bson_t* document) noexcept : document_(document) {}
    ~BsonPtr() { reset(); }
    BsonPtr(BsonPtr&& other) noexcept : document_(other.release()) {}
    BsonPtr& operator=(BsonPtr&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    BsonPtr(const BsonPtr&) = delete;
    BsonPtr& operator=(const BsonPtr&) = delete;

    bson_t* get() const noexcept { return document_; }
    explicit operator bool() const noexcept { return document_ != nullptr; }
    bson_t* release() noexcept {
        bson_t* document = document_;
        document_ = nullptr;
        return document;
    }
    void reset(bson_t* document = nullptr) noexcept {
        if (document_ != nullptr) bson_destroy(document_);
        document_ = document;
    }

  private:
    bson_t* document_ = nullptr;
};
inline BsonPtr new_bson() {
    return BsonPtr(bson_new());
}

struct UriDeleter {
    void operator()(mongoc_uri_t* uri) const noexcept { mongoc_uri_destroy(uri); }
};
using UriPtr = std::unique_ptr<mongoc_uri_t, UriDeleter>;

struct ClientDeleter {
    void operator()(mongoc_client_t* client) const noexcept { mongoc_client_destroy(client); }
};
using ClientPtr = std::unique_ptr<mongoc_client_t, ClientDeleter>;

struct CollectionDeleter {
    void operator()(mongoc_collection_t* collection) const noexcept {
        mongoc_collection_destroy(collection);
    }
};
using CollectionPtr = std::unique_ptr<mongoc_collection_t, CollectionDeleter>;

struct CursorDeleter {
    void operator()(mongoc_cursor_t* cursor) const noexcept { mongoc_cursor_destroy(cursor); }
};
using CursorPtr = std::unique_ptr<mongoc_cursor_t, CursorDeleter>;

// A stack bson_t initialised empty and destroyed with its scope (a command's reply, say).
class Reply {
  public:
    Reply() { bson_init(&document_); }
    ~Reply() { bson_destroy(&document_); }
    Reply(const Reply&) = delete;
    Reply& operator=(const Reply&) = delete;

    bson_t* get() noexcept { return &document_; }
    const bson_t* get() const noexcept { return &document_; }

  private:
    bson_t document_;
};

// A failed call to MongoDB: the server could not be reached, or it refused the operation.
// The message names the operation and the driver's error; never the URI (it may hold a
// password).
class MongoError : public std::runtime_error {
  public:
    MongoError(std::string_view operation, const bson_error_t& error);
    MongoError(std::string_view operation, std::string_view message);

    std::uint32_t domain() const noexcept { return domain_; }
    std::uint32_t code() const noexcept { return code_; }

  private:
    std::uint32_t domain_ = 0;
    std::uint32_t code_ = 0;
};

// Appends UTF-8 text with its length (so an embedded NUL cannot cut it short).
inline void append_text(bson_t* document, std::string_view key, std::string_view value) {
    bson_append_utf8(document, key.data(), static_cast<int>(key.size()), value.data(),
                     static_cast<int>(value.size()));
}

// The document as relaxed extended JSON, for error messages and tests.
std::string to_json(const bson_t* document);

}  // namespace tradestore::plugins::mongo
