package memo

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestBoundedComputesOncePerKeyWithinItsLimit(t *testing.T) {
	m := New[string, int](10)
	var calls atomic.Int64
	f := func(v int) func() (int, error) {
		return func() (int, error) { calls.Add(1); return v, nil }
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, _ := m.Do("a", 6, f(1)); v != 1 {
				t.Errorf("a = %d", v)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("a computed %d times; want once", calls.Load())
	}
	m.Do("b", 6, f(2)) // past the limit: not kept
	m.Do("b", 6, f(2))
	if calls.Load() != 3 {
		t.Errorf("b past the limit computed %d times in all; want it every time (3)", calls.Load())
	}
	boom := errors.New("boom")
	m.Do("c", 1, func() (int, error) { return 0, boom })
	if _, err := m.Do("c", 1, f(3)); err != boom {
		t.Errorf("c's error is kept with it: got %v", err)
	}
	m.Reset()
	if v, _ := m.Do("a", 6, f(4)); v != 4 {
		t.Errorf("after Reset a = %d; want computed again", v)
	}
}
