package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// The layouts compared, on a warm run that needs every entry: packs (this package: a run reads
// each pack once, then looks values up in memory) against one file per entry (written by rename,
// each with its own checksum; a run opens one file per value). The packs win by the cost of an
// open per value: see the README's figures.

// looseGet reads the entry of key k from its own file, checking its CRC-32C.
func looseGet(dir string, k key) ([]byte, bool) {
	h := hex.EncodeToString(k[:])
	data, err := os.ReadFile(filepath.Join(dir, h[:2], h[2:]))
	if err != nil || len(data) < 4 {
		return nil, false
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, crcTable) != uint32(data[len(data)-4])|uint32(data[len(data)-3])<<8|uint32(data[len(data)-2])<<16|uint32(data[len(data)-1])<<24 {
		return nil, false
	}
	return body, true
}

func loosePut(dir string, k key, val []byte) error {
	h := hex.EncodeToString(k[:])
	sub := filepath.Join(dir, h[:2])
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return err
	}
	sum := crc32.Checksum(val, crcTable)
	data := append(append([]byte{}, val...), byte(sum), byte(sum>>8), byte(sum>>16), byte(sum>>24))
	tmp := filepath.Join(sub, h[2:]+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(sub, h[2:]))
}

// benchValue is about what a Go file's imports take.
func benchValue(i int) []byte {
	var e Encoder
	e.Strings([]string{"fmt", "strings", fmt.Sprintf("example.com/gen/pkg/p%d", i), fmt.Sprintf("example.com/gen/pkg/p%d", i/2)})
	e.Strings(nil)
	return e.Bytes()
}

func benchID(i int) string {
	s := sha256.Sum256([]byte(fmt.Sprint(i)))
	return hex.EncodeToString(s[:20])
}

func BenchmarkWarmRun(b *testing.B) {
	for _, n := range []int{2000, 20000} {
		b.Run(fmt.Sprintf("packs-%d", n), func(b *testing.B) {
			dir := b.TempDir()
			// Spread over several runs' packs, as a cache that has not merged yet is.
			for run := range 4 {
				c := Open(dir, "v")
				for i := run; i < n; i += 4 {
					c.Put("go-file/1", benchID(i), "", benchValue(i))
				}
				if err := c.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			ids := make([]string, n)
			for i := range ids {
				ids[i] = benchID(i)
			}
			b.ResetTimer()
			for b.Loop() {
				c := Open(dir, "v")
				for _, id := range ids {
					if _, ok := c.Get("go-file/1", id, ""); !ok {
						b.Fatal("miss")
					}
				}
			}
		})
		b.Run(fmt.Sprintf("file-per-entry-%d", n), func(b *testing.B) {
			dir := b.TempDir()
			for i := range n {
				if err := loosePut(dir, makeKey("go-file/1", benchID(i), ""), benchValue(i)); err != nil {
					b.Fatal(err)
				}
			}
			ids := make([]string, n)
			for i := range ids {
				ids[i] = benchID(i)
			}
			b.ResetTimer()
			for b.Loop() {
				for _, id := range ids {
					if _, ok := looseGet(dir, makeKey("go-file/1", id, "")); !ok {
						b.Fatal("miss")
					}
				}
			}
		})
	}
}

// BenchmarkColdRun is a run that parses everything and writes it: one pack, or a file per entry.
func BenchmarkColdRun(b *testing.B) {
	const n = 20000
	b.Run("packs", func(b *testing.B) {
		for b.Loop() {
			c := Open(b.TempDir(), "v")
			for i := range n {
				c.Put("go-file/1", benchID(i), "", benchValue(i))
			}
			if err := c.Flush(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("file-per-entry", func(b *testing.B) {
		for b.Loop() {
			dir := b.TempDir()
			for i := range n {
				if err := loosePut(dir, makeKey("go-file/1", benchID(i), ""), benchValue(i)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
