// The change feed's messages (change_feed_job.h): one per history row, keyed by trade id.
#pragma once

#include <tradestore/codec.h>
#include <tradestore/history.h>

#include <string>
#include <vector>

#include "message_batch.h"

namespace tradestore::kafka {

// The messages of a batch of changes, in order: key the trade id, value the history row as
// the history API writes a version, with its id first ({"history_id":..,"version":..,..}).
std::vector<OutgoingMessage> change_messages(const std::vector<HistoryChange>& changes,
                                             const std::string& topic, const TradeCodec& codec);

}  // namespace tradestore::kafka
