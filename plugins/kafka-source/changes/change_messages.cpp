#include "change_messages.h"

#include <utility>

namespace tradestore::kafka {

std::vector<OutgoingMessage> change_messages(const std::vector<HistoryChange>& changes,
                                             const std::string& topic, const TradeCodec& codec) {
    std::vector<OutgoingMessage> messages;
    messages.reserve(changes.size());
    for (const HistoryChange& change : changes) {
        OutgoingMessage message;
        message.topic = topic;
        message.key = change.record.trade.trade_id;
        std::string value;
        codec.append_history_record(value, change.record, change.id);
        message.value = std::move(value);
        messages.push_back(std::move(message));
    }
    return messages;
}

}  // namespace tradestore::kafka
