#include "stub_host.h"
