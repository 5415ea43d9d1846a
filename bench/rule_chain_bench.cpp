// The rule chain's cost per decision: the default trade rules through the SDK's decide().
#include <benchmark/benchmark.h>
#include <tradestore/decision.h>

#include "trade_rules.h"

namespace {

using namespace std::chrono;
constexpr tradestore::Date kToday = sys_days{year{2026} / 11 / 24};

tradestore::Trade make_trade(std::int64_t version, tradestore::Date maturity) {
    tradestore::Trade trade;
    trade.trade_id = "T-000001";
    trade.version = version;
    trade.counter_party_id = "CP-1";
    trade.book_id = "B1";
    trade.maturity_date = maturity;
    trade.created_date = kToday;
    return trade;
}

void BM_RuleChainAccept(benchmark::State& state) {
    tradestore::plugins::TradeRules rules(true, true);
    const tradestore::Rule* chain[] = {&rules};
    const auto stored = make_trade(1, kToday + days{30});
    const auto incoming = make_trade(2, kToday + days{30});
    for (auto _ : state) {
        auto decision = tradestore::decide(chain, {incoming, &stored, std::nullopt, kToday});
        benchmark::DoNotOptimize(decision);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RuleChainAccept);

void BM_RuleChainRejectTwice(benchmark::State& state) {
    tradestore::plugins::TradeRules rules(true, true);
    const tradestore::Rule* chain[] = {&rules};
    const auto stored = make_trade(5, kToday + days{30});
    const auto incoming = make_trade(4, kToday - days{30});
    for (auto _ : state) {
        auto decision = tradestore::decide(chain, {incoming, &stored, std::nullopt, kToday});
        benchmark::DoNotOptimize(decision);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RuleChainRejectTwice);

}  // namespace

BENCHMARK_MAIN();
