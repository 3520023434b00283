package buildctx

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SourceDateEpoch reads SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/)
// through getenv (pass os.Getenv) and returns the time to give [WithMtime], or nil when the
// variable is unset or empty.
func SourceDateEpoch(getenv func(string) string) (*time.Time, error) {
	v := strings.TrimSpace(getenv("SOURCE_DATE_EPOCH"))
	if v == "" {
		return nil, nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec < 0 {
		return nil, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a non-negative number of seconds since 1970", v)
	}
	t := time.Unix(sec, 0).UTC()
	return &t, nil
}
