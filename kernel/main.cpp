// tradestored entry point.
#include <iostream>

#include "daemon.h"

POCO_SERVER_MAIN(tradestore::kernel::Daemon)
