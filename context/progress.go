package buildctx

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress returns an option that draws a progress bar of the bytes and entries written on w,
// but only when w is a terminal; otherwise the option does nothing. Pass the stream the bar is
// actually written to (usually stderr), never stdout that may carry the tar.
func Progress(w io.Writer) Option {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func(*options) {}
	}
	return func(o *options) {
		bar := progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("context"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSpinnerType(14),
		)
		o.progress = func(files int, bytes int64) {
			bar.Describe(fmt.Sprintf("context: %d entries", files))
			// Progress output is best effort: a failing terminal must not fail the build.
			_ = bar.Set64(bytes)
		}
		o.done = func() { _ = bar.Finish() }
	}
}
