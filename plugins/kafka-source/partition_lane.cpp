#include "partition_lane.h"

namespace tradestore::kafka {

namespace {
constexpr std::size_t kRecordOverhead = 160;  // the record, its strings' heads, the vector slot
}

std::size_t buffered_bytes(const KafkaRecord& record) {
    std::size_t bytes = kRecordOverhead + record.topic.size();
    if (record.key) bytes += record.key->size();
    if (record.value) bytes += record.value->size();
    for (const KafkaHeader& header : record.headers) {
        bytes += sizeof(KafkaHeader) + header.name.size();
        if (header.value) bytes += header.value->size();
    }
    return bytes;
}

}  // namespace tradestore::kafka
