package ignore

import (
	"sync"
	"testing"
)

// TestFileIsSafeForConcurrentUse runs under -race: patternmatcher compiles
// lazily, so Parse must have compiled every pattern already.
func TestFileIsSafeForConcurrentUse(t *testing.T) {
	f := mustParse(t, "**/node_modules\n!**/keep\n*.md\na?c\n[ab]/x\n*\n!apps\napps/*\n!apps/web\n")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, p := range corpusPaths {
				f.Excluded(p)
				f.CanSkipDir(p)
				walkExcluded(f, p)
			}
		}()
	}
	wg.Wait()
}
