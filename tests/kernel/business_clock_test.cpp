// The business date follows the configured zone and roll-over time.
#include <gtest/gtest.h>

#include "business_clock.h"

namespace tradestore::kernel {
namespace {

using namespace std::chrono;

system_clock::time_point utc(int y, unsigned m, unsigned d, int hh, int mm) {
    return sys_days{year{y} / m / d} + hours{hh} + minutes{mm};
}

TEST(BusinessClock, UtcDateTurnsAtUtcMidnight) {
    ZonedBusinessClock clock("UTC", minutes{0});
    EXPECT_EQ(clock.business_date_at(utc(2026, 11, 24, 23, 59)), sys_days{year{2026} / 11 / 24});
    EXPECT_EQ(clock.business_date_at(utc(2026, 11, 25, 0, 0)), sys_days{year{2026} / 11 / 25});
}

TEST(BusinessClock, TokyoIsAlreadyTomorrowWhileLondonIsStillToday) {
    ZonedBusinessClock tokyo("Asia/Tokyo", minutes{0});
    ZonedBusinessClock london("Europe/London", minutes{0});
    const auto instant = utc(2026, 11, 24, 15, 30);  // 00:30 on the 25th in Tokyo
    EXPECT_EQ(tokyo.business_date_at(instant), sys_days{year{2026} / 11 / 25});
    EXPECT_EQ(london.business_date_at(instant), sys_days{year{2026} / 11 / 24});
}

TEST(BusinessClock, NewYorkDeskRollsOverAtFivePmLocalAcrossDaylightSaving) {
    ZonedBusinessClock desk("America/New_York", hours{17});
    // November: EST (UTC-5). 16:59 local is still the 24th; 17:00 local is the 25th.
    EXPECT_EQ(desk.business_date_at(utc(2026, 11, 24, 21, 59)), sys_days{year{2026} / 11 / 24});
    EXPECT_EQ(desk.business_date_at(utc(2026, 11, 24, 22, 0)), sys_days{year{2026} / 11 / 25});
    // July: EDT (UTC-4). 17:00 local is 21:00 UTC.
    EXPECT_EQ(desk.business_date_at(utc(2026, 7, 1, 20, 59)), sys_days{year{2026} / 7 / 1});
    EXPECT_EQ(desk.business_date_at(utc(2026, 7, 1, 21, 0)), sys_days{year{2026} / 7 / 2});
}

TEST(BusinessClock, FixedDateWinsOverTheClock) {
    ZonedBusinessClock clock("UTC", minutes{0}, sys_days{year{2020} / 5 / 20});
    EXPECT_EQ(clock.today(), sys_days{year{2020} / 5 / 20});
}

TEST(BusinessClock, UnknownZoneIsRefused) {
    EXPECT_THROW(ZonedBusinessClock("Mars/Olympus_Mons", minutes{0}), std::invalid_argument);
}

TEST(BusinessClockParsing, TimesAndDates) {
    EXPECT_EQ(parse_time_of_day("17:00"), minutes{17 * 60});
    EXPECT_FALSE(parse_time_of_day("24:00"));
    EXPECT_FALSE(parse_time_of_day("7:00"));
    EXPECT_EQ(parse_date("2024-02-29"), sys_days{year{2024} / 2 / 29});
    EXPECT_FALSE(parse_date("2023-02-29"));
    EXPECT_FALSE(parse_date("2024-2-09"));
}

}  // namespace
}  // namespace tradestore::kernel
