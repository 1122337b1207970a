#include "web/screener.h"
