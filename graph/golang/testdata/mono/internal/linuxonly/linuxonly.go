// Package linuxonly is imported by a linux-only file.
package linuxonly

// Name is the platform name.
const Name = "linux"
