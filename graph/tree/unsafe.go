package tree

import (
	"encoding/binary"
	"unsafe"
)

// bytesString is b as a string without a copy; b must never change.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// uint32s is b (4-byte aligned, little-endian numbers) as a []uint32 without a copy where the
// machine is little-endian; b must never change.
func uint32s(b []byte) []uint32 {
	n := len(b) / 4
	if n == 0 {
		return nil
	}
	if nativeLittle && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
		return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), n)
	}
	v := make([]uint32, n)
	for i := range v {
		v[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return v
}

var nativeLittle = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
