#include "shared/lan/mdns_socket.h"
#include "gtest/gtest.h"
