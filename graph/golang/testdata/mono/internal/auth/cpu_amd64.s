// Assembly is an input of the build too.
#include "textflag.h"
