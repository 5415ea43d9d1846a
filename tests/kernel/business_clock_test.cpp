// The business date follows the configured zone and roll-over time.
#include "business_clock.h"

#include <gtest/gtest.h>

namespace tradestore::kernel {
namespace {

using namespace std::chrono;

system_clock::time_point utc(int y, unsigned m, unsigned d, int hh, int mm) {
    return sys_days{year{y} / m / d} + hours{hh} + minutes{mm};
}

Timestamp utc_micros(int y, unsigned m, unsigned d, int hh, int mm) {
    return time_point_cast<microseconds>(utc(y, m, d, hh, mm));
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

// "As of the close of business day D": the first instant of D + 1 is the roll-over on local D
// (local midnight after D without one), found in the zone's offset of that day.
TEST(BusinessClock, ABusinessDayEndsAtTheRollOverOrAtLocalMidnight) {
    const Date day = sys_days{year{2026} / 11 / 24};
    EXPECT_EQ(ZonedBusinessClock("UTC", minutes{0}).end_of_business_day(day),
              Timestamp{sys_days{year{2026} / 11 / 25}});
    ZonedBusinessClock desk("America/New_York", hours{17});
    EXPECT_EQ(desk.end_of_business_day(day), utc_micros(2026, 11, 24, 22, 0));  // EST
    EXPECT_EQ(desk.end_of_business_day(sys_days{year{2026} / 7 / 1}),
              utc_micros(2026, 7, 1, 21, 0));  // EDT
    // The end belongs to the next day; the instant before it to this one.
    const Timestamp end = desk.end_of_business_day(day);
    EXPECT_EQ(desk.business_date_at(end), day + days{1});
    EXPECT_EQ(desk.business_date_at(end - microseconds{1}), day);
    EXPECT_EQ(ZonedBusinessClock("Asia/Tokyo", minutes{0}).end_of_business_day(day),
              utc_micros(2026, 11, 24, 15, 0));  // midnight in Tokyo (UTC+9)
}

// A roll-over that a DST change skips (02:30 on 2026-03-08 in New York does not exist): the
// day ends when the clocks jump, 03:00 EDT = 07:00 UTC.
TEST(BusinessClock, ARollOverInADstGapEndsTheDayWhenTheClocksJump) {
    ZonedBusinessClock desk("America/New_York", minutes{150});
    EXPECT_EQ(desk.end_of_business_day(sys_days{year{2026} / 3 / 8}), utc_micros(2026, 3, 8, 7, 0));
}

// An as_of may name any instant up to 9999, past where nanosecond time points end (2262).
TEST(BusinessClock, InstantsFarInTheFutureHaveTheirBusinessDate) {
    const Timestamp far = Timestamp{sys_days{year{2500} / 3 / 17}} + hours{3} + minutes{23};
    EXPECT_EQ(ZonedBusinessClock("UTC", minutes{0}).business_date_at(far),
              sys_days{year{2500} / 3 / 17});
    ZonedBusinessClock desk("America/New_York", hours{17});
    const Date last = sys_days{year{9999} / 12 / 30};
    EXPECT_EQ(desk.business_date_at(desk.end_of_business_day(last)), last + days{1});
}

TEST(BusinessClock, FixedDateWinsOverTheClock) {
    ZonedBusinessClock clock("UTC", minutes{0}, sys_days{year{2020} / 5 / 20});
    EXPECT_EQ(clock.today(), sys_days{year{2020} / 5 / 20});
}

TEST(BusinessClock, UnknownZoneIsRefused) {
    EXPECT_THROW(ZonedBusinessClock("Mars/Olympus_Mons", minutes{0}), std::invalid_argument);
}

TEST(BusinessClockParsing, TimesOfDay) {
    EXPECT_EQ(parse_time_of_day("17:00"), minutes{17 * 60});
    EXPECT_FALSE(parse_time_of_day("24:00"));
    EXPECT_FALSE(parse_time_of_day("7:00"));
}

}  // namespace
}  // namespace tradestore::kernel
