package gitchanges

import (
	"container/heap"
	"context"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// commitInfo is what the merge-base walk needs of a commit.
type commitInfo struct {
	when    time.Time
	parents []plumbing.Hash
}

// commitLoader returns a commit's date and parents. A shallow commit must be
// returned without parents: its parents are not in the clone.
type commitLoader func(plumbing.Hash) (commitInfo, error)

const (
	fromA = 1 << iota
	fromB
	stale
	result
)

type queued struct {
	hash plumbing.Hash
	when time.Time
	seq  int
}

// dateQueue pops the most recent commit first (ties: first queued first),
// like git's commit-date priority queue.
type dateQueue []queued

func (q dateQueue) Len() int { return len(q) }
func (q dateQueue) Less(i, j int) bool {
	if !q[i].when.Equal(q[j].when) {
		return q[i].when.After(q[j].when)
	}
	return q[i].seq < q[j].seq
}
func (q dateQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *dateQueue) Push(x any)   { *q = append(*q, x.(queued)) }
func (q *dateQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// mergeBases returns the best common ancestors of a and b, most recent
// first, by git's "paint down to common" walk (commit-reach.c): commits
// reachable from a are painted A, from b painted B; a commit painted both is
// a candidate, and everything below a candidate is stale. The walk stops when
// only stale commits are queued, so it reads only the history between the
// tips and their merge bases, never the whole history. Shallow commits are
// roots, so a merge base at the shallow boundary is found; nil is returned
// when the clone holds no common ancestor.
func mergeBases(ctx context.Context, load commitLoader, a, b plumbing.Hash) ([]plumbing.Hash, error) {
	if a == b {
		return []plumbing.Hash{a}, nil
	}
	cands, err := paintDownToCommon(ctx, load, a, []plumbing.Hash{b})
	if err != nil || len(cands) <= 1 {
		return cands, err
	}
	// Criss-cross histories: drop candidates that are ancestors of others.
	var best []plumbing.Hash
	for i, c := range cands {
		var others []plumbing.Hash
		for j, o := range cands {
			if j != i {
				others = append(others, o)
			}
		}
		res, err := paintDownToCommon(ctx, load, c, others)
		if err != nil {
			return nil, err
		}
		redundant := false
		for _, h := range res {
			redundant = redundant || h == c
		}
		if !redundant {
			best = append(best, c)
		}
	}
	return best, nil
}

// paintDownToCommon returns the common ancestors of one and twos that are
// not ancestors of another common ancestor, most recent first.
func paintDownToCommon(ctx context.Context, load commitLoader, one plumbing.Hash, twos []plumbing.Hash) ([]plumbing.Hash, error) {
	flags := make(map[plumbing.Hash]int)
	infos := make(map[plumbing.Hash]commitInfo)
	q := &dateQueue{}
	seq := 0
	push := func(h plumbing.Hash, f int) error {
		info, ok := infos[h]
		if !ok {
			var err error
			if info, err = load(h); err != nil {
				return err
			}
			infos[h] = info
		}
		flags[h] |= f
		seq++
		heap.Push(q, queued{hash: h, when: info.when, seq: seq})
		return nil
	}
	if err := push(one, fromA); err != nil {
		return nil, err
	}
	for _, t := range twos {
		if err := push(t, fromB); err != nil {
			return nil, err
		}
	}
	var found []plumbing.Hash
	for hasNonStale(q, flags) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h := heap.Pop(q).(queued).hash
		paint := flags[h] & (fromA | fromB | stale)
		if paint == fromA|fromB {
			if flags[h]&result == 0 {
				flags[h] |= result
				found = append(found, h)
			}
			paint |= stale
		}
		for _, p := range infos[h].parents {
			if flags[p]&paint == paint {
				continue
			}
			if err := push(p, paint); err != nil {
				return nil, fmt.Errorf("reading parent %s of %s: %w", p, h, err)
			}
		}
	}
	// A candidate painted stale later is an ancestor of a more recent one.
	var res []plumbing.Hash
	for _, h := range found {
		if flags[h]&stale == 0 {
			res = append(res, h)
		}
	}
	return res, nil
}

// hasNonStale reports whether any queued commit is not yet stale.
func hasNonStale(q *dateQueue, flags map[plumbing.Hash]int) bool {
	for _, it := range *q {
		if flags[it.hash]&stale == 0 {
			return true
		}
	}
	return false
}
