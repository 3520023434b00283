package cache

import (
	"encoding/binary"
	"errors"
	"slices"
)

// Encoder writes a value as a compact byte string for Put: unsigned varints and length-prefixed
// strings, decoded by a Decoder in the same order.
type Encoder struct{ b []byte }

// Bytes returns what was written.
func (e *Encoder) Bytes() []byte { return e.b }

// Uint writes v.
func (e *Encoder) Uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

// Bool writes v.
func (e *Encoder) Bool(v bool) {
	if v {
		e.Uint(1)
	} else {
		e.Uint(0)
	}
}

// String writes s.
func (e *Encoder) String(s string) {
	e.Uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// Strings writes a list, keeping nil apart from an empty list.
func (e *Encoder) Strings(list []string) {
	if list == nil {
		e.Uint(0)
		return
	}
	e.Uint(uint64(len(list)) + 1)
	for _, s := range list {
		e.String(s)
	}
}

// Map writes a map in key order, keeping nil apart from an empty map.
func (e *Encoder) Map(m map[string]string) {
	if m == nil {
		e.Uint(0)
		return
	}
	e.Uint(uint64(len(m)) + 1)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.String(k)
		e.String(m[k])
	}
}

// ErrDecode is a value that does not decode: treat it as a miss.
var ErrDecode = errors.New("cache value does not decode")

// Decoder reads what an Encoder wrote. The first error sticks: every later read returns a zero
// value, and Err reports it.
type Decoder struct {
	b   []byte
	err error
}

// NewDecoder reads b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Err returns ErrDecode when a read failed or bytes are left over, else nil.
func (d *Decoder) Err() error {
	if d.err == nil && len(d.b) > 0 {
		d.err = ErrDecode
	}
	return d.err
}

// Failed reports whether a read failed so far (Err, at the end, also counts bytes left over).
func (d *Decoder) Failed() bool { return d.err != nil }

// Uint reads an unsigned integer.
func (d *Decoder) Uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = ErrDecode
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Bool reads a bool.
func (d *Decoder) Bool() bool {
	switch d.Uint() {
	case 0:
		return false
	case 1:
		return true
	}
	d.err = ErrDecode
	return false
}

// String reads a string.
func (d *Decoder) String() string {
	n := d.Uint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = ErrDecode
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// count reads a length written as n+1 (0 for nil), bounded by the bytes left, each element
// taking at least min bytes.
func (d *Decoder) count(min uint64) (int, bool) {
	n := d.Uint()
	if d.err != nil || n == 0 {
		return 0, false
	}
	n--
	if n*min > uint64(len(d.b)) {
		d.err = ErrDecode
		return 0, false
	}
	return int(n), true
}

// Strings reads a list.
func (d *Decoder) Strings() []string {
	n, ok := d.count(1)
	if !ok {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.String()
	}
	if d.err != nil {
		return nil
	}
	return out
}

// Map reads a map.
func (d *Decoder) Map() map[string]string {
	n, ok := d.count(2)
	if !ok {
		return nil
	}
	out := make(map[string]string, n)
	for range n {
		k := d.String()
		out[k] = d.String()
	}
	if d.err != nil {
		return nil
	}
	return out
}
