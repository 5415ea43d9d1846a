// The JSON bodies of every rest-source answer, in the shapes of the former FastAPI service.
// Trades, audit entries and field errors are written by the kernel's codec, strings by the SDK's
// append_json_string, so escaping is the same everywhere; each function appends to `out`.
#pragma once

#include <tradestore/codec.h>
#include <tradestore/host.h>
#include <tradestore/outcome.h>
#include <tradestore/store.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tradestore::rest {

// {"detail":"<message>"}
void append_detail(std::string& out, std::string_view message);

// {"detail":[{"loc":[..],"msg":..,"type":..},...]}
void append_validation_errors(std::string& out, const TradeCodec& codec,
                              const std::vector<FieldError>& errors);

// {"detail":"Malformed JSON at offset N: <message>"}
void append_syntax_error(std::string& out, const SyntaxError& error);

// "<message>; <message>" of the rejection reasons.
std::string join_reasons(const std::vector<Rejection>& reasons);

// {"detail":"<reasons joined>","reasons":["CODE",...],"trade_id":".."}
void append_rejection(std::string& out, std::string_view trade_id,
                      const std::vector<Rejection>& reasons);

// The trade's eight fields plus "outcome":"created"|"updated"|"replaced".
void append_accepted_trade(std::string& out, const TradeCodec& codec, const Trade& trade,
                           Date business_date, Outcome outcome);

// Entries of the POST /trades/batch answer, one per input item, in input order:
// {"index":i,"trade_id":..,"outcome":"created|updated|replaced","trade":{...}}
void append_batch_accepted(std::string& out, const TradeCodec& codec, std::size_t index,
                           const Trade& trade, Date business_date, Outcome outcome);
// {"index":i,"trade_id":..,"outcome":"rejected","detail":"..","reasons":[..]}
void append_batch_rejected(std::string& out, std::size_t index, std::string_view trade_id,
                           const std::vector<Rejection>& reasons);
// {"index":i,"outcome":"invalid","errors":[{loc,msg,type}...]}
void append_batch_invalid(std::string& out, const TradeCodec& codec, std::size_t index,
                          const std::vector<FieldError>& errors);

// {"detail":"Trade <id> not found"}
void append_trade_not_found(std::string& out, std::string_view trade_id);
// {"message":"Trade <id> deleted successfully"}
void append_trade_deleted(std::string& out, std::string_view trade_id);

// {"status":"healthy"|"unhealthy","timestamp":"..Z","version":"..","services":{..}}
void append_health(std::string& out, const HealthReport& report, Timestamp now,
                   std::string_view version);

// {"status":"ready"|"not ready",["detail":"<reason>",]"services":{..}}
void append_readiness(std::string& out, const HealthReport& report, std::string_view reason);

// {"total_trades":n,"active_trades":n,"expired_trades":n}
void append_statistics(std::string& out, const Statistics& statistics);

// {"message":"Expiry check completed","trades_expired":n}
void append_expiry(std::string& out, std::int64_t trades_expired);

// {"logs":[..],"count":n} where n is the number of logs returned.
void append_audit_logs(std::string& out, const TradeCodec& codec,
                       const std::vector<AuditEntry>& logs);

}  // namespace tradestore::rest
