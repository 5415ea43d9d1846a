// Everything a plugin author needs, in one include.
#pragma once

#include "tradestore/audit_wording.h"
#include "tradestore/clock.h"
#include "tradestore/codec.h"
#include "tradestore/decision.h"
#include "tradestore/events.h"
#include "tradestore/export.h"
#include "tradestore/host.h"
#include "tradestore/job.h"
#include "tradestore/metrics.h"
#include "tradestore/outcome.h"
#include "tradestore/plugin.h"
#include "tradestore/rule.h"
#include "tradestore/settings.h"
#include "tradestore/source.h"
#include "tradestore/store.h"
#include "tradestore/trade.h"
