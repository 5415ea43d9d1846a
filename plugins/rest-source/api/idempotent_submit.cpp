// Idempotency-Key on the POSTs that write (IETF httpapi draft, Stripe's semantics). The key,
// the request's hash and the answer are stored by the store in the transaction of the
// decisions, so a key has a row exactly when its request's decisions committed.
#include <algorithm>
#include <chrono>
#include <span>

#include "handlers.h"
#include "idempotency_key.h"
#include "response_bodies.h"

namespace tradestore::rest {
namespace {

constexpr std::string_view kSource = "rest";

}  // namespace

std::optional<Reply> Handlers::read_idempotency_key(Exchange& exchange, std::string& key) {
    static const std::string kHeader(kIdempotencyKeyHeader);
    static const std::string kNone;
    const std::string& sent = exchange.request.get(kHeader, kNone);
    if (!exchange.request.has(kHeader)) {
        key.clear();
        return std::nullopt;
    }
    if (!is_valid_idempotency_key(sent)) {
        append_detail(exchange.body, "Idempotency-Key must be 1 to " +
                                         std::to_string(kMaxIdempotencyKeyLength) +
                                         " printable ASCII characters");
        return Reply{400};
    }
    key = sent;
    return std::nullopt;
}

Reply Handlers::key_in_flight(Exchange& exchange) {
    exchange.body.clear();
    append_detail(exchange.body,
                  "A request with this Idempotency-Key is still in flight; retry later");
    return {409, true};
}

std::optional<Reply> Handlers::stored_answer(Exchange& exchange, const std::string& scoped_key,
                                             const std::string& hash) {
    IdempotencyKeys* keys = host_.capabilities().idempotency_keys;
    std::optional<StoredAnswer> stored =
        keys != nullptr ? keys->idempotent_answer(scoped_key) : std::nullopt;
    if (!stored || stored->expires_at <= host_.clock().now()) return std::nullopt;
    exchange.body.clear();
    if (stored->request_hash != hash) {
        append_detail(exchange.body,
                      "Idempotency-Key was already used for a different request; use a new key "
                      "for a new request");
        return Reply{422};
    }
    exchange.body = std::move(stored->answer.body);
    Reply reply{stored->answer.status};
    reply.idempotent_replayed = true;
    return reply;
}

Reply Handlers::submit_and_answer(Exchange& exchange, Batch batch, const std::string& key,
                                  const AnswerRenderer& render, std::string_view what) {
    const std::size_t count = batch.candidates.size();
    // A committed write names its commit, so that the client's reads can ask to see it.
    const auto answered = [&exchange](IdempotentAnswer answer,
                                      std::span<const ItemResult> items = {}) {
        exchange.body = std::move(answer.body);
        Reply reply{answer.status};
        for (const ItemResult& item : items) {
            reply.commit_position = std::max(reply.commit_position, item.commit_position);
        }
        return reply;
    };
    const auto committed = [&](const IngestResult& result) {
        if (result.status == IngestStatus::Committed && result.items.size() == count) return true;
        host_.log_with(
            LogLevel::Warning, "rest-source",
            std::string(what) + " " + std::string(exchange.request_id) + ": " +
                (result.error.empty() ? "store returned a wrong number of results" : result.error),
            {.request_id = exchange.request_id, .source = kSource});
        return false;
    };
    // A COMMIT whose outcome the store could not learn says so: the client may retry with the
    // same key; any other failure committed nothing.
    const auto not_committed = [&](const IngestResult& result) {
        return result.status == IngestStatus::OutcomeUnknown ? outcome_unknown(exchange)
                                                             : unavailable(exchange);
    };

    if (key.empty()) {
        IngestResult result;
        if (count > 0) {
            result = host_.ingest().submit_and_wait(std::move(batch));
            if (!committed(result)) return not_committed(result);
        }
        return answered(render(result.items), result.items);
    }

    if (host_.capabilities().idempotency_keys == nullptr) {
        append_detail(exchange.body,
                      "This deployment's store keeps no idempotency keys; send the request "
                      "without Idempotency-Key");
        return {501};
    }
    const std::string scoped = scoped_idempotency_key(exchange.token_id, key);
    const std::string hash = request_hash(exchange.request.getMethod(), exchange.request.getURI(),
                                          exchange.token_id, exchange.request_body);
    const KeysInFlight::Hold hold = keys_in_flight_.hold(scoped);
    if (!hold) return key_in_flight(exchange);
    if (auto earlier = stored_answer(exchange, scoped, hash)) return *earlier;

    IdempotencyClaim& claim = batch.idempotency.emplace_back();
    claim.key = scoped;
    claim.request_hash = hash;
    claim.expires_at = host_.clock().now() + std::chrono::duration_cast<std::chrono::microseconds>(
                                                 config_.idempotency_ttl);
    claim.first = 0;
    claim.count = count;
    claim.answer = render;
    IngestResult result = host_.ingest().submit_and_wait(std::move(batch));
    if (result.status == IngestStatus::KeyInUse) {
        // Another process claimed the key first; its row is committed by now (the store's
        // claim waits for the claiming transaction), unless it was still in flight.
        if (auto earlier = stored_answer(exchange, scoped, hash)) return *earlier;
        return key_in_flight(exchange);
    }
    if (!committed(result)) return not_committed(result);
    return answered(render(result.items), result.items);
}

}  // namespace tradestore::rest
