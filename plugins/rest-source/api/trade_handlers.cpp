// POST /trades, POST /trades/batch, GET /trades, GET|DELETE /trades/{id},
// GET /trades/book/{book_id}, GET /trades/{id}/history.
#include <tradestore/history.h>

#include <span>

#include "as_of.h"
#include "handlers.h"
#include "history_query.h"
#include "media_type.h"
#include "query_params.h"
#include "response_bodies.h"
#include "transport/request_body.h"

namespace tradestore::rest {
namespace {

constexpr std::string_view kSource = "rest";

}  // namespace

Reply Handlers::unavailable(Exchange& exchange) {
    exchange.body.clear();
    append_detail(exchange.body, "Service unavailable, retry later");
    return {503, true, {}};
}

Reply Handlers::outcome_unknown(Exchange& exchange) {
    exchange.body.clear();
    append_detail(exchange.body,
                  "The outcome of this request is unknown: the store lost its connection while "
                  "committing and could not learn whether the request was applied. A retry with "
                  "the same Idempotency-Key is safe");
    return {503, true, {}};
}

Reply Handlers::validation_failed(Exchange& exchange, const std::vector<FieldError>& errors) {
    append_validation_errors(exchange.body, host_.codec(), errors);
    return {422};
}

std::optional<Reply> Handlers::read_json_body(Exchange& exchange) {
    if (!is_json_media_type(exchange.request.getContentType())) {
        append_detail(exchange.body, "Unsupported media type: expected application/json");
        return Reply{415};
    }
    switch (read_body(exchange.request, config_.max_body_bytes, exchange.request_body)) {
        case BodyRead::Complete:
            break;
        case BodyRead::TooLarge:
            append_detail(exchange.body, "Request body exceeds " +
                                             std::to_string(config_.max_body_bytes) + " bytes");
            return Reply{413};
        case BodyRead::Broken:
            return Reply{Reply::kNoResponse};
    }
    exchange.body_read = true;
    if (exchange.request_body.empty()) {
        // FastAPI's answer to a missing body.
        return validation_failed(exchange, {{{"body"}, "Field required", "missing"}});
    }
    return std::nullopt;
}

Reply Handlers::create_trade(Exchange& exchange) {
    std::string key;
    if (auto refused = read_idempotency_key(exchange, key)) return *refused;
    if (auto early = read_json_body(exchange)) return *early;
    const TradeCodec& codec = host_.codec();
    DecodedOne decoded = codec.decode_trade(exchange.request_body);
    if (decoded.syntax_error) {
        append_syntax_error(exchange.body, *decoded.syntax_error);
        return {400};
    }
    if (!decoded.item.trade) return validation_failed(exchange, decoded.item.errors);

    const Date today = host_.clock().today();
    Batch batch;
    Candidate& candidate = batch.candidates.emplace_back();
    candidate.trade = std::move(*decoded.item.trade);
    if (candidate.trade.created_date == Date{}) candidate.trade.created_date = today;
    candidate.source = kSource;
    candidate.reference = exchange.request_id;
    const Trade submitted = candidate.trade;

    const auto render = [&codec, &submitted, today](std::span<const ItemResult> items) {
        IdempotentAnswer answer;
        const ItemResult& item = items.front();
        if (item.outcome == Outcome::Rejected) {
            append_rejection(answer.body, submitted.trade_id, item.reasons);
            answer.status = 400;
        } else {
            append_accepted_trade(answer.body, codec, item.stored ? *item.stored : submitted, today,
                                  item.outcome);
            answer.status = 201;
        }
        return answer;
    };
    return submit_and_answer(exchange, std::move(batch), key, render, "POST /trades");
}

Reply Handlers::create_batch(Exchange& exchange) {
    std::string key;
    if (auto refused = read_idempotency_key(exchange, key)) return *refused;
    if (auto early = read_json_body(exchange)) return *early;
    const TradeCodec& codec = host_.codec();
    DecodedBatch decoded = codec.decode_batch(exchange.request_body, config_.max_batch_items);
    if (decoded.syntax_error) {
        append_syntax_error(exchange.body, *decoded.syntax_error);
        return {400};
    }
    if (decoded.not_an_array) {
        return validation_failed(exchange,
                                 {{{"body"}, "Input should be a valid list", "list_type"}});
    }
    if (decoded.item_count > config_.max_batch_items) {
        append_detail(exchange.body, "Batch of " + std::to_string(decoded.item_count) +
                                         " items exceeds the limit of " +
                                         std::to_string(config_.max_batch_items) + " items");
        return {413};
    }

    // Every well-formed item goes into one batch, hence one transaction.
    const Date today = host_.clock().today();
    Batch batch;
    batch.candidates.reserve(decoded.items.size());
    for (DecodedTrade& item : decoded.items) {
        if (!item.trade) continue;
        Candidate& candidate = batch.candidates.emplace_back();
        candidate.trade = *item.trade;
        if (candidate.trade.created_date == Date{}) candidate.trade.created_date = today;
        candidate.source = kSource;
        candidate.reference = exchange.request_id;
        item.trade->created_date = candidate.trade.created_date;
    }

    const auto render = [&codec, &decoded, today](std::span<const ItemResult> results) {
        IdempotentAnswer answer{200, {}};
        std::string& out = answer.body;
        out.push_back('[');
        std::size_t next_result = 0;
        for (std::size_t index = 0; index < decoded.items.size(); ++index) {
            if (index != 0) out.push_back(',');
            const DecodedTrade& item = decoded.items[index];
            if (!item.trade) {
                append_batch_invalid(out, codec, index, item.errors);
                continue;
            }
            const ItemResult& outcome = results[next_result++];
            if (outcome.outcome == Outcome::Rejected) {
                append_batch_rejected(out, index, item.trade->trade_id, outcome.reasons);
            } else {
                append_batch_accepted(out, codec, index,
                                      outcome.stored ? *outcome.stored : *item.trade, today,
                                      outcome.outcome);
            }
        }
        out.push_back(']');
        return answer;
    };
    return submit_and_answer(exchange, std::move(batch), key, render, "POST /trades/batch");
}

namespace {

// A snapshot's versions as the trades a list answers (each one's last_updated is when that
// version was recorded).
std::vector<Trade> trades_of(std::vector<HistoryRecord> records) {
    std::vector<Trade> trades;
    trades.reserve(records.size());
    for (HistoryRecord& record : records) trades.push_back(std::move(record.trade));
    return trades;
}

// The store's history, or nullptr once the answer says that it keeps none (a 404: nothing is
// wrong with the server, there is nothing to find).
TradeHistory* kept_history(Exchange& exchange) {
    TradeHistory* history = exchange.reader->trade_history();
    if (history == nullptr) append_detail(exchange.body, kNoTradeHistory);
    return history;
}

}  // namespace

Reply Handlers::list_trades(Exchange& exchange) {
    std::vector<FieldError> errors;
    const QueryParams params(exchange.query);
    const Paging paging = parse_paging(params, errors);
    std::optional<AsOf> as_of;
    if (params.find("as_of") != nullptr) as_of = parse_as_of(params, host_.clock(), errors);
    if (!errors.empty()) return validation_failed(exchange, errors);
    if (as_of) {
        TradeHistory* history = kept_history(exchange);
        if (history == nullptr) return {404};
        host_.codec().append_trades(
            exchange.body, trades_of(history->trades_at(as_of->instant, paging.skip, paging.limit)),
            as_of->business_date);
        return {200};
    }
    const Date today = host_.clock().today();
    const std::vector<Trade> trades = exchange.reader->list(paging.skip, paging.limit, today);
    host_.codec().append_trades(exchange.body, trades, today);
    return {200};
}

// The hot path: one store lookup and one serialisation into the reused buffer.
Reply Handlers::get_trade(Exchange& exchange) {
    const QueryParams params(exchange.query);
    if (params.find("as_of") != nullptr) return get_trade_as_of(exchange, params);
    const Date today = host_.clock().today();
    const std::optional<Trade> trade = exchange.reader->get(exchange.param, today);
    if (!trade) {
        append_trade_not_found(exchange.body, exchange.param);
        return {404};
    }
    host_.codec().append_trade(exchange.body, *trade, today);
    return {200};
}

// The trade as recorded at ?as_of= (as_of.h), from the store's history: 422 for a malformed
// value, 404 when it did not exist then (never created yet, or deleted) or the store keeps no
// history; `expired` as of the business date at that instant.
Reply Handlers::get_trade_as_of(Exchange& exchange, const QueryParams& params) {
    std::vector<FieldError> errors;
    const std::optional<AsOf> as_of = parse_as_of(params, host_.clock(), errors);
    if (!errors.empty()) return validation_failed(exchange, errors);
    TradeHistory* history = kept_history(exchange);
    if (history == nullptr) return {404};
    const std::optional<HistoryRecord> record = history->version_at(exchange.param, as_of->instant);
    if (!record || record->action == AuditAction::Delete) {
        append_trade_not_found(exchange.body, exchange.param);
        return {404};
    }
    host_.codec().append_trade(exchange.body, record->trade, as_of->business_date);
    return {200};
}

// A delete candidate through the ingest path, like a POST: the rules may refuse it (400, as
// a refused trade), the business date is the batch's, and the audit and history record it.
Reply Handlers::delete_trade(Exchange& exchange) {
    Batch batch;
    batch.candidates.push_back(delete_candidate(std::string(exchange.param), std::string(kSource),
                                                std::string(exchange.request_id)));
    const std::string trade_id(exchange.param);
    const auto render = [&trade_id](std::span<const ItemResult> items) {
        IdempotentAnswer answer;
        const ItemResult& item = items.front();
        if (item.outcome == Outcome::Deleted) {
            append_trade_deleted(answer.body, trade_id);
            answer.status = 200;
        } else if (item.reasons.size() == 1 && item.reasons.front().code == reason::kNotFound) {
            append_trade_not_found(answer.body, trade_id);
            answer.status = 404;
        } else {
            append_rejection(answer.body, trade_id, item.reasons);
            answer.status = 400;
        }
        return answer;
    };
    return submit_and_answer(exchange, std::move(batch), "", render, "DELETE /trades");
}

// With ?as_of=, the book as recorded then (TradeHistory::book_at): 422 for a malformed
// value, 404 when the store keeps no history.
Reply Handlers::list_by_book(Exchange& exchange) {
    const QueryParams params(exchange.query);
    if (params.find("as_of") != nullptr) {
        std::vector<FieldError> errors;
        const std::optional<AsOf> as_of = parse_as_of(params, host_.clock(), errors);
        if (!errors.empty()) return validation_failed(exchange, errors);
        TradeHistory* history = kept_history(exchange);
        if (history == nullptr) return {404};
        host_.codec().append_trades(exchange.body,
                                    trades_of(history->book_at(exchange.param, as_of->instant)),
                                    as_of->business_date);
        return {200};
    }
    const Date today = host_.clock().today();
    const std::vector<Trade> trades = exchange.reader->list_by_book(exchange.param, today);
    host_.codec().append_trades(exchange.body, trades, today);
    return {200};
}

// Validated first (422), then 404 when the store keeps no history (as /events without an event
// store: nothing is wrong with the server, there is nothing to find). An empty page is a 404
// only when the trade has no history at all: the page's own query says so when it asked for
// everything from the start, else one more query for a single record decides.
Reply Handlers::trade_history(Exchange& exchange) {
    std::vector<FieldError> errors;
    const HistoryQuery query =
        parse_history_query(exchange.param, QueryParams(exchange.query), errors);
    if (!errors.empty()) return validation_failed(exchange, errors);
    TradeHistory* history = kept_history(exchange);
    if (history == nullptr) return {404};
    const std::vector<HistoryRecord> records = history->history(query);
    if (records.empty()) {
        bool known = false;
        if (query.skip != 0 || query.from || query.to) {
            HistoryQuery first;
            first.trade_id = query.trade_id;
            first.limit = 1;
            known = !history->history(first).empty();
        }
        if (!known) {
            append_trade_not_found(exchange.body, exchange.param);
            return {404};
        }
    }
    append_history(exchange.body, host_.codec(), query, records);
    return {200};
}

}  // namespace tradestore::rest
