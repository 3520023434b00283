// Package memo keeps one computation per key for the life of a process, up to a bound on what the
// keys stand for: parses that several steps of one run ask for (the same workflow at head and at
// base), in a process that may load many repositories (the tests).
package memo

import "sync"

// Bounded is a memo of V by K. Its zero value keeps nothing; make one with New.
type Bounded[K comparable, V any] struct {
	mu    sync.Mutex
	m     map[K]*entry[V]
	used  int
	limit int
}

type entry[V any] struct {
	once sync.Once
	v    V
	err  error
}

// New keeps answers while the sizes of their keys add up to at most limit.
func New[K comparable, V any](limit int) *Bounded[K, V] {
	return &Bounded[K, V]{limit: limit}
}

// Do returns fn's answer for k, computed once however many callers ask at once; size is what k
// stands for (the bytes parsed). Past the limit fn runs every time.
func (b *Bounded[K, V]) Do(k K, size int, fn func() (V, error)) (V, error) {
	b.mu.Lock()
	e, ok := b.m[k]
	if !ok && b.used+size <= b.limit {
		if b.m == nil {
			b.m = map[K]*entry[V]{}
		}
		e = &entry[V]{}
		b.m[k] = e
		b.used += size
	}
	b.mu.Unlock()
	if e == nil {
		return fn()
	}
	e.once.Do(func() { e.v, e.err = fn() })
	return e.v, e.err
}

// Reset forgets every answer.
func (b *Bounded[K, V]) Reset() {
	b.mu.Lock()
	b.m, b.used = nil, 0
	b.mu.Unlock()
}
