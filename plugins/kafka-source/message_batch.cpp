#include "message_batch.h"

namespace tradestore::kafka {

namespace {

std::string describe_field_errors(const std::vector<FieldError>& errors) {
    std::string text;
    for (const FieldError& error : errors) {
        if (!text.empty()) text += "; ";
        std::string location;
        for (const std::string& part : error.loc) {
            if (location.empty() && part == "body") continue;
            if (!location.empty()) location += '.';
            location += part;
        }
        text += location.empty() ? "body" : location;
        text += ": ";
        text += error.msg;
        text += " (";
        text += error.type;
        text += ')';
    }
    return text;
}

Origin origin_of(const KafkaRecord& record) {
    return {record.topic, record.partition, record.offset};
}

AuditEntry dead_letter_audit(const KafkaRecord& record, const DeadLetter& letter,
                             std::string_view dead_letter_topic, std::string reference) {
    AuditEntry entry;
    entry.trade_id = record.key.value_or("");
    entry.action = AuditAction::ValidationFailed;
    entry.success = false;
    entry.reason_codes = {letter.reason};
    entry.message = "Kafka message ";
    entry.message += reference;
    entry.message += " dead-lettered to ";
    entry.message += dead_letter_topic;
    entry.message += ": ";
    entry.message += letter.error;
    entry.source = std::string(kSourceName);
    entry.reference = std::move(reference);
    entry.origin = origin_of(record);
    return entry;
}

void append_origin(std::string& out, const KafkaRecord& record) {
    out += ",\"topic\":";
    append_json_string(out, record.topic);
    out += ",\"partition\":";
    out += std::to_string(record.partition);
    out += ",\"offset\":";
    out += std::to_string(record.offset);
    out += '}';
}

}  // namespace

std::string reference_of(const KafkaRecord& record) {
    std::string reference = record.topic;
    reference += '/';
    reference += std::to_string(record.partition);
    reference += '/';
    reference += std::to_string(record.offset);
    return reference;
}

PlannedBatch plan_batch(const std::vector<KafkaRecord>& records, const AppliedPositions& applied,
                        const TradeCodec& codec, Date today, std::string_view dead_letter_topic,
                        bool deletes) {
    PlannedBatch plan;
    plan.batch.candidates.reserve(records.size());
    plan.candidate_record.reserve(records.size());
    std::map<TopicPartition, std::int64_t> last_planned;  // last offset handed to the store

    for (std::size_t index = 0; index < records.size(); ++index) {
        const KafkaRecord& record = records[index];
        TopicPartition partition{record.topic, record.partition};
        std::int64_t& next = plan.next_offsets[partition];
        next = std::max(next, record.offset + 1);

        const auto position = applied.find(partition);
        if (position != applied.end() && record.offset <= position->second) {
            ++plan.skipped;  // applied by an earlier run: its effect is already stored
            continue;
        }
        last_planned[std::move(partition)] = record.offset;

        if (deletes && !record.value && record.key) {  // a tombstone: a delete of the key
            std::vector<FieldError> errors = codec.check_trade_id(*record.key);
            if (!errors.empty()) {
                DeadLetter letter{index, std::string(kInvalidTrade),
                                  "key: " + describe_field_errors(errors)};
                plan.batch.audit_only.push_back(
                    dead_letter_audit(record, letter, dead_letter_topic, reference_of(record)));
                plan.dead_letters.push_back(std::move(letter));
                continue;
            }
            plan.batch.candidates.push_back(delete_candidate(
                *record.key, std::string(kSourceName), reference_of(record), origin_of(record)));
            plan.candidate_record.push_back(index);
            continue;
        }
        const std::string_view value = record.value ? std::string_view(*record.value) : "";
        DecodedOne decoded = codec.decode_trade(value);
        if (decoded.syntax_error || !decoded.item.trade) {
            DeadLetter letter{index, {}, {}};
            if (decoded.syntax_error) {
                letter.reason = std::string(kMalformedJson);
                letter.error = record.value ? describe_syntax_error(*decoded.syntax_error)
                                            : "Message has no value (a tombstone; set deletes "
                                              "= true for tombstones to delete trades)";
            } else {
                letter.reason = std::string(kInvalidTrade);
                letter.error = describe_field_errors(decoded.item.errors);
            }
            plan.batch.audit_only.push_back(
                dead_letter_audit(record, letter, dead_letter_topic, reference_of(record)));
            plan.dead_letters.push_back(std::move(letter));
            continue;
        }

        Candidate& candidate = plan.batch.candidates.emplace_back();
        candidate.trade = std::move(*decoded.item.trade);
        if (candidate.trade.created_date == Date{}) candidate.trade.created_date = today;
        candidate.source = std::string(kSourceName);
        candidate.reference = reference_of(record);
        candidate.origin = origin_of(record);
        plan.candidate_record.push_back(index);
    }

    plan.batch.positions.reserve(last_planned.size());
    for (const auto& [partition, offset] : last_planned) {
        plan.batch.positions.push_back(
            {std::string(kSourceName), partition.topic, partition.partition, offset});
    }
    return plan;
}

std::vector<KafkaHeader> dead_letter_headers(const KafkaRecord& record, const DeadLetter& letter) {
    std::vector<KafkaHeader> headers = record.headers;
    headers.push_back({std::string(kHeaderReason), letter.reason});
    headers.push_back({std::string(kHeaderError), letter.error});
    headers.push_back({std::string(kHeaderTopic), record.topic});
    headers.push_back({std::string(kHeaderPartition), std::to_string(record.partition)});
    headers.push_back({std::string(kHeaderOffset), std::to_string(record.offset)});
    return headers;
}

std::string result_record(const KafkaRecord& record, std::string_view trade_id,
                          std::int64_t version, const ItemResult& result) {
    std::string out = "{\"trade_id\":";
    append_json_string(out, trade_id);
    out += ",\"version\":";
    // A delete names no version: its record gives the one deleted.
    out += std::to_string(
        result.outcome == Outcome::Deleted && result.stored ? result.stored->version : version);
    out += ",\"outcome\":";
    append_json_string(out, to_string(result.outcome));
    out += ",\"reasons\":[";
    for (std::size_t i = 0; i < result.reasons.size(); ++i) {
        if (i != 0) out += ',';
        append_json_string(out, result.reasons[i].code);
    }
    out += ']';
    append_origin(out, record);
    return out;
}

std::string dead_letter_result_record(const KafkaRecord& record, const DeadLetter& letter) {
    std::string out = "{\"trade_id\":";
    if (record.key) {
        append_json_string(out, *record.key);
    } else {
        out += "null";
    }
    out += ",\"version\":null,\"outcome\":\"invalid\",\"reasons\":[";
    append_json_string(out, letter.reason);
    out += ']';
    append_origin(out, record);
    return out;
}

}  // namespace tradestore::kafka
